import { randomUUID } from 'node:crypto';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';

describe('Service accounts: the service-wide creation cut-off and the project id format, end to end', () => {
  it('refuses new service accounts from the cut-off on; existing ones keep working until their own sunset', async () => {
    const before = await KeyholdHarness.start(undefined, { SERVICE_ACCOUNT_CREATION_CUTOFF: new Date(Date.now() + 86_400_000).toISOString() });
    let dataDir: string;
    let account: { id: string; clientId: string; clientSecret: string };
    try {
      const admin = await before.bootstrap(`cutoff-${randomUUID().slice(0, 8)}`);
      const created = await before.post('/v1/service-accounts', admin.token, { name: 'legacy export' });
      expect(created.status).toBe(201);
      account = created.body;
      dataDir = before.dataDir;
    } finally {
      await before.stop();
    }
    const after = await KeyholdHarness.start(dataDir, { SERVICE_ACCOUNT_CREATION_CUTOFF: '2024-10-01T00:00:00Z' });
    try {
      const admin = await after.bootstrap(`cutoff-after-${randomUUID().slice(0, 8)}`);
      const refused = await after.post('/v1/service-accounts', admin.token, { name: 'too late' });
      expectProblem(refused, 403, 'service-accounts-closed');
      expect(refused.body.detail).toContain('2024-10-01T00:00:00.000Z');
      expect(refused.body.detail).toContain('/v1/api-clients');
      // The account made before the cut-off still gets tokens.
      const token = await after.request('POST', '/oauth/token', { form: { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret } });
      expect(token.status).toBe(200);
      expect(token.body.access_token).toMatch(/^kh_at_/);
    } finally {
      await after.stop();
    }
  });

  it('lets an account join only projects whose id has the documented format; bad input is never a 500', async () => {
    const keyhold = await KeyholdHarness.start();
    try {
      const admin = await keyhold.bootstrap(`projects-${randomUUID().slice(0, 8)}`);
      const account = (await keyhold.post('/v1/service-accounts', admin.token, { name: 'projects' })).body;
      const join = (projectId: string) => keyhold.request('PUT', `/v1/service-accounts/${account.id}/projects/${encodeURIComponent(projectId)}`, { token: admin.token });
      expect((await join('bridge-42')).status).toBeLessThan(300);
      for (const projectId of ['Bridge-42', '42', 'ab', 'bridge--42', 'bridge-', 'bridge_42', 'x'.repeat(64)]) {
        const refused = await join(projectId);
        expectProblem(refused, 400, 'validation-error');
      }
      // Ids that cannot even be a path segment are refused by routing or validation, never joined.
      for (const projectId of ['..', 'a b', '%00', 'é'.repeat(3)]) expect([400, 404]).toContain((await join(projectId)).status);
      expect((await keyhold.get(`/v1/service-accounts/${account.id}`, admin.token)).body.projects).toEqual(['bridge-42']);
    } finally {
      await keyhold.stop();
    }
  });
});
