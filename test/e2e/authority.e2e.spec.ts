import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { clientCredentialsToken, serviceAccountWith, userWith } from '../support/principals';

/**
 * Issue 13: a credential holding one permission could reach admin power or plaintext
 * third-party credentials by four paths. Each is refused now with 403 authority-exceeded, and
 * the same operations still work for a caller who holds what they hand out.
 */
describe('Authority never grows', () => {
  let keyhold: KeyholdHarness;
  let admin: { token: string };
  const password = `pw ${randomBytes(12).toString('base64url')} long enough`;
  const authorityExceeded = (result: Awaited<ReturnType<KeyholdHarness['get']>>, missing: string[]) => {
    expectProblem(result, 403, 'authority-exceeded');
    expect(result.body.missingPermissions).toEqual(expect.arrayContaining(missing));
    for (const permission of missing) expect(result.body.detail).toContain(permission);
  };

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap('authority');
    expect((await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: password } })).status).toBe(204);
  }, 60_000);

  afterAll(() => keyhold?.stop());

  it('path 1: clients:write alone cannot add a secret to an API client acting as admin', async () => {
    const client = (await keyhold.post('/v1/api-clients', admin.token, { name: 'powerful' })).body;
    const flows = { requirePkce: false, refreshTokens: false, password: false, clientCredentials: true, clientCredentialsRoles: ['admin'] };
    expect((await keyhold.request('PUT', `/v1/api-clients/${client.id}/flows`, { token: admin.token, json: flows })).status).toBe(200);
    const manager = await serviceAccountWith(keyhold, admin.token, ['clients:write']);

    authorityExceeded(await keyhold.post(`/v1/api-clients/${client.id}/secrets`, manager.token, {}), ['connections:use', 'users:write']);
    authorityExceeded(await keyhold.post(`/v1/api-clients/${client.id}/redirect-uris`, manager.token, { uri: 'https://evil.example/cb' }), ['connections:use']);
    const secrets = (await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token)).body.items;
    expect(secrets).toHaveLength(1);

    // A client with no roles hands out nothing: the same caller may add it a secret.
    const plain = (await keyhold.post('/v1/api-clients', manager.token, { name: 'plain' })).body;
    expect((await keyhold.post(`/v1/api-clients/${plain.id}/secrets`, manager.token, {})).status).toBe(201);
  });

  it('path 2: users:write alone cannot create an admin, nor change a role to or from one', async () => {
    const recruiter = await serviceAccountWith(keyhold, admin.token, ['users:write']);
    authorityExceeded(await keyhold.post('/v1/users', recruiter.token, { email: 'root@authority.test', role: 'admin' }), ['clients:write', 'connections:use']);
    const member = await userWith(keyhold, admin.token, 'member@authority.test', 'member');
    authorityExceeded(await keyhold.request('PUT', `/v1/users/${member.id}/role`, { token: recruiter.token, json: { role: 'admin' } }), ['connections:use']);
    const users = (await keyhold.get('/v1/users?limit=200', admin.token)).body.items as Array<{ email: string; role: string }>;
    expect(users.map((user) => user.email)).not.toContain('root@authority.test');
    expect(users.find((user) => user.email === 'member@authority.test')?.role).toBe('member');

    // Holding a member's permissions, it may add members, but still not touch an admin.
    const memberMaker = await serviceAccountWith(keyhold, admin.token, ['users:write', 'tokens:read', 'tokens:write']);
    expect((await keyhold.post('/v1/users', memberMaker.token, { email: 'new-member@authority.test', role: 'member' })).status).toBe(201);
    const otherAdmin = await userWith(keyhold, admin.token, 'admin2@authority.test', 'admin');
    authorityExceeded(await keyhold.request('PUT', `/v1/users/${otherAdmin.id}/role`, { token: memberMaker.token, json: { role: 'member' } }), ['connections:use']);
  });

  it("re-issuing a pending user's invitation hands out that user: users:write alone cannot for an admin", async () => {
    const pending = await keyhold.post('/v1/users', admin.token, { email: 'pending-admin@authority.test', role: 'admin' });
    expect(pending.status).toBe(201);
    const recruiter = await serviceAccountWith(keyhold, admin.token, ['users:write']);
    const refused = await keyhold.post(`/v1/users/${pending.body.id}/invitation`, recruiter.token);
    authorityExceeded(refused, ['clients:write', 'connections:use']);
    expect(refused.text).not.toContain('/invitations/');
    // Holding a member's rights, it may re-issue a member's invitation.
    const memberMaker = await serviceAccountWith(keyhold, admin.token, ['users:write', 'tokens:read', 'tokens:write']);
    const member = await keyhold.post('/v1/users', admin.token, { email: 'pending-member@authority.test', role: 'member' });
    const reissued = await keyhold.post(`/v1/users/${member.body.id}/invitation`, memberMaker.token);
    expect(reissued.status).toBeLessThan(300);
    expect(reissued.body.url).toContain(`/invitations/${member.body.id}/`);
  });

  it('path 3: integrations:write alone cannot reauthorize; a user needs the resources and the password', async () => {
    const integration = (await keyhold.post('/v1/integrations', admin.token, { name: 'ERP', email: 'ops@erp.example', resourceAccess: 'custom', resources: ['connections.use'], password })).body;
    const first = (await keyhold.post(`/v1/integrations/${integration.id}/activate`, admin.token)).body.tokens;
    const machine = await serviceAccountWith(keyhold, admin.token, ['integrations:write']);
    expectProblem(await keyhold.post(`/v1/integrations/${integration.id}/reauthorize`, machine.token, { password }), 403, 'authority-exceeded');
    // Even a machine holding every resource's permissions is no user to confirm.
    const strongMachine = await serviceAccountWith(keyhold, admin.token, ['integrations:write', 'connections:read', 'connections:use']);
    expectProblem(await keyhold.post(`/v1/integrations/${integration.id}/reauthorize`, strongMachine.token, { password }), 403, 'authority-exceeded');
    expect((await keyhold.get('/v1/me', first.accessToken)).status).toBe(200);

    expectProblem(await keyhold.post(`/v1/integrations/${integration.id}/reauthorize`, admin.token, {}), 400, 'validation-error');
    expectProblem(await keyhold.post(`/v1/integrations/${integration.id}/reauthorize`, admin.token, { password: `${password}x` }), 403, 'password-incorrect');
    const again = await keyhold.post(`/v1/integrations/${integration.id}/reauthorize`, admin.token, { password });
    expect(again.status).toBe(200);
    expect((await keyhold.get('/v1/me', first.accessToken)).status).toBe(401);
    expect((await keyhold.get('/v1/me', again.body.tokens.accessToken)).status).toBe(200);

    // A machine may not create or activate an integration whose resources it lacks either.
    const wide = (await keyhold.post('/v1/integrations', admin.token, { name: 'Wide', email: 'w@erp.example', resourceAccess: 'all', password })).body;
    authorityExceeded(await keyhold.post(`/v1/integrations/${wide.id}/activate`, machine.token), ['connections:use', 'tokens:revoke_all']);
  });

  it('path 4: clients:write alone cannot register a command-signing key for an account holding more', async () => {
    const powerful = await serviceAccountWith(keyhold, admin.token, ['connections:use', 'connections:read']);
    const manager = await serviceAccountWith(keyhold, admin.token, ['clients:write']);
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = await exportJWK(publicKey);
    authorityExceeded(await keyhold.request('PUT', `/v1/service-accounts/${powerful.id}/command-signing-key`, { token: manager.token, json: jwk }), ['connections:read', 'connections:use']);
    expect((await keyhold.get(`/v1/service-accounts/${powerful.id}`, admin.token)).body.commandSigningKeyThumbprint).toBeNull();
    // Nor reset its secret, nor grant it (or itself) anything it lacks.
    authorityExceeded(await keyhold.post(`/v1/service-accounts/${powerful.id}/reset-secret`, manager.token), ['connections:use']);
    authorityExceeded(await keyhold.request('PUT', `/v1/service-accounts/${manager.id}/permissions/users:write`, { token: manager.token }), ['users:write']);
    expect(await clientCredentialsToken(keyhold, powerful.id, powerful.clientSecret)).not.toBeNull();
    // The admin, who holds all of it, still may.
    expect((await keyhold.request('PUT', `/v1/service-accounts/${powerful.id}/command-signing-key`, { token: admin.token, json: jwk })).status).toBe(200);
  });

  it('connections: setting or obtaining a stored credential needs connections:use', async () => {
    const writer = await serviceAccountWith(keyhold, admin.token, ['connections:write', 'connections:read']);
    const body = { name: 'Slack', service: 'slack', allowedDomains: ['slack.com'], credential: { type: 'bearer_token', token: 'xoxb-secret' } };
    authorityExceeded(await keyhold.post('/v1/connections', writer.token, body), ['connections:use']);
    const created = await keyhold.post('/v1/connections', admin.token, body);
    expect(created.status).toBe(201);
    authorityExceeded(await keyhold.request('PATCH', `/v1/connections/${created.body.id}`, { token: writer.token, json: { allowedDomains: ['evil.example'] } }), ['connections:use']);
  });

  /**
   * Demotion policy: what a granter granted stays as granted. The rights were checked against the
   * granter's authority when given and belong to the credential's owner (an account, a client, an
   * integration), not to the granter; demoting a person must not silently break every machine
   * they set up. What changes at once is the person's own reach: their tokens shrink to the new
   * role, and any further widening of those credentials needs the full authority again.
   */
  it('demotion: a demoted granter leaves their grants in place, and can widen nothing any more', async () => {
    const granter = await userWith(keyhold, admin.token, 'granter@authority.test', 'admin');
    const account = await serviceAccountWith(keyhold, granter.token, ['connections:read', 'tokens:read_all'], 'set up by granter');
    expect((await keyhold.request('PUT', `/v1/users/${granter.id}/role`, { token: admin.token, json: { role: 'member' } })).status).toBe(200);

    expect((await keyhold.get(`/v1/service-accounts/${account.id}`, admin.token)).body.permissions).toEqual(['connections:read', 'tokens:read_all']);
    const token = await clientCredentialsToken(keyhold, account.id, account.clientSecret);
    expect((await keyhold.get('/v1/me', token!)).body.permissions).toEqual(['connections:read', 'tokens:read_all']);
    expect((await keyhold.get('/v1/me', granter.token)).body.permissions).toEqual(['tokens:read', 'tokens:write']);
    expectProblem(await keyhold.request('PUT', `/v1/service-accounts/${account.id}/permissions/connections:use`, { token: granter.token }), 403, 'forbidden');
    expectProblem(await keyhold.post(`/v1/service-accounts/${account.id}/reset-secret`, granter.token), 403, 'forbidden');
  });
});

describe('Integration access tokens expire', () => {
  it('refuses an integration token once INTEGRATION_TOKEN_TTL_SECONDS have passed since it was issued', async () => {
    const keyhold = await KeyholdHarness.start(undefined, { INTEGRATION_TOKEN_TTL_SECONDS: '2' });
    try {
      const admin = await keyhold.bootstrap('int-ttl');
      const password = `pw ${randomBytes(12).toString('base64url')} long enough`;
      await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: password } });
      const integration = (await keyhold.post('/v1/integrations', admin.token, { name: 'Short', email: 's@s.example', resourceAccess: 'custom', resources: ['users.read'], password })).body;
      const { accessToken } = (await keyhold.post(`/v1/integrations/${integration.id}/activate`, admin.token)).body.tokens;
      const me = await keyhold.get('/v1/me', accessToken);
      expect(me.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      expectProblem(await keyhold.get('/v1/me', accessToken), 401, 'unauthenticated');
      // Reauthorizing issues a fresh token with a fresh lifetime.
      const again = await keyhold.post(`/v1/integrations/${integration.id}/reauthorize`, admin.token, { password });
      expect((await keyhold.get('/v1/me', again.body.tokens.accessToken)).status).toBe(200);
    } finally {
      await keyhold.stop();
    }
  }, 30_000);
});
