import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyholdHarness } from '../support/keyhold-harness';

/** Every byte under a directory, so a secret cannot hide in a WAL file or an index page. */
const everythingStoredUnder = (directory: string): Buffer =>
  Buffer.concat(
    readdirSync(directory, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name))),
  );

describe('Durability and secrecy of what is stored', () => {
  it('keeps tokens, revocations and users across a restart, and no plaintext secret anywhere', async () => {
    const first = await KeyholdHarness.start();
    const admin = await first.bootstrap('initech');
    const kept = await first.post('/v1/tokens', admin.token, { label: 'kept', scope: 'read' });
    const revoked = await first.post('/v1/tokens', admin.token, { label: 'revoked', scope: 'read_write' });
    const member = await first.addUser(admin.token, 'milton@initech.test', 'member');
    await first.post(`/v1/tokens/${revoked.body.id}/revoke`, admin.token, { reason: 'rotation' });
    await first.request('POST', '/oauth/introspect', { token: admin.token, form: { token: kept.body.token } });
    await first.request('POST', '/oauth/introspect', { token: admin.token, form: { token: revoked.body.token } });
    const listedBefore = await first.get('/v1/tokens?owner=all&limit=200', admin.token);
    await first.stop();

    const second = await KeyholdHarness.start(first.dataDir);
    try {
      expect((await second.get('/v1/me', kept.body.token)).status).toBe(200);
      expect((await second.get('/v1/me', member.token)).status).toBe(200);
      expect((await second.get('/v1/me', revoked.body.token)).status).toBe(401);
      const listedAfter = await second.get('/v1/tokens?owner=all&limit=200', admin.token);
      expect(listedAfter.body.items.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual(
        listedBefore.body.items.map((t: { id: string; status: string }) => [t.id, t.status]),
      );
      // The restarted node resumes its projections from their checkpoints: nothing applied twice.
      const ready = await second.get('/health/ready', admin.token);
      expect(ready.body.projections.every((p: { behind: boolean }) => !p.behind)).toBe(true);
    } finally {
      await second.stop();
    }

    const secrets = [admin.token, kept.body.token, revoked.body.token, member.token];
    const stored = everythingStoredUnder(first.dataDir);
    const logs = [...first.logs, ...second.logs].join('\n');
    expect(stored.length).toBeGreaterThan(10_000);
    expect(logs.length).toBeGreaterThan(100);
    for (const secret of secrets) {
      expect(secret).toMatch(/^kh_pat_/);
      expect(stored.includes(secret)).toBe(false);
      // The random part alone must not be there either (e.g. stored without its prefix).
      expect(stored.includes(secret.slice(7, 50))).toBe(false);
      expect(logs.includes(secret.slice(7, 50))).toBe(false);
    }
    // The scan can see what is stored: the non-secret hint of each token is there.
    expect(stored.includes(kept.body.hint)).toBe(true);
  });
});
