import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';

const TEST_SERVERS = join(__dirname, '..', '..', 'scripts', 'test-servers.sh');
/** Freezing keeps the in-memory stand-in's data, as a real outage of a durable server would. */
const mongo = (command: 'pause' | 'resume') => execFileSync('bash', [TEST_SERVERS, command, 'mongo'], { stdio: 'ignore' });

describeWithServer('MONGO_URL', 'A MongoDB outage', (mongoUrl) => {
  let keyhold: KeyholdHarness;

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(undefined, {
      READ_MODELS: 'mongo',
      MONGO_URL: mongoUrl,
      MONGO_DATABASE: `keyhold_outage_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    });
  });
  afterAll(async () => {
    await keyhold?.stop();
  });

  it('does not stop issuing, verifying or revoking; the read models catch up when it is back', async () => {
    const admin = await keyhold.bootstrap('outage');
    const before = await keyhold.post('/v1/tokens', admin.token, { label: 'before', scope: 'read' });

    mongo('pause');
    let during: { status: number; body: { id: string; token: string } };
    try {
      during = await keyhold.post('/v1/tokens', admin.token, { label: 'during', scope: 'read' });
      expect(during.status).toBe(201);
      expect((await keyhold.get('/v1/me', during.body.token)).status).toBe(200);
      expect((await keyhold.post(`/v1/tokens/${before.body.id}/revoke`, admin.token, {})).status).toBe(200);
      expect((await keyhold.get('/v1/me', before.body.token)).status).toBe(401);

      const ready = await keyhold.get('/health/ready', admin.token);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.readModels.status).toBe('down');
    } finally {
      mongo('resume');
    }

    const caughtUp = await eventually(async () => {
      const [issued, revoked] = await Promise.all([
        keyhold.get(`/v1/tokens/${during.body.id}`, admin.token),
        keyhold.get(`/v1/tokens/${before.body.id}`, admin.token),
      ]);
      return issued.status === 200 && revoked.body?.status === 'revoked';
    }, 60_000);
    expect(caughtUp).toBe(true);
    await eventually(async () => (await keyhold.get('/health/ready')).status === 200, 30_000);
    expect((await keyhold.get('/health/ready')).body).toMatchObject({ status: 'ready' });
  }, 120_000);
});
