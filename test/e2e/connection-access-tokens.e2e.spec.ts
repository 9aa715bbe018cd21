import { randomUUID } from 'node:crypto';
import { expectProblem, HttpResult, KeyholdHarness } from '../support/keyhold-harness';
import { sample } from '../support/metrics';
import { everythingStoredUnder, secretsFoundIn } from '../support/secret-scan';

/**
 * OAuth 2.0 connections hand out access tokens, not their client secret. The token server is
 * real: another tenant of a Keyhold (its /oauth/token, a service account as the OAuth client).
 */
describe('OAuth 2.0 connections: access tokens by the client-credentials exchange, end to end', () => {
  let keyhold: KeyholdHarness;
  let provider: { tenantId: string; token: string };
  let consumer: { tenantId: string; token: string };
  let account: { id: string; clientId: string; clientSecret: string };
  const responses: HttpResult[] = [];
  const seen: Record<string, string> = {};

  const remembered = async (result: Promise<HttpResult>) => {
    const answer = await result;
    responses.push(answer);
    return answer;
  };
  const createConnection = (overrides: Record<string, unknown> = {}) =>
    remembered(
      keyhold.post('/v1/connections', consumer.token, {
        name: `Provider ${randomUUID().slice(0, 6)}`,
        service: 'provider',
        allowedDomains: ['127.0.0.1'],
        credential: { type: 'oauth2', clientId: account.clientId, clientSecret: account.clientSecret, tokenUrl: `${keyhold.url}/oauth/token`, scopes: ['users:read'] },
        ...overrides,
      }),
    );
  const access = (id: string, token = consumer.token) => remembered(keyhold.post(`/v1/connections/${id}/access`, token, { domain: '127.0.0.1' }));
  const eventsOf = async (type: string, connectionId: string) =>
    (await keyhold.events()).filter((e) => e.type === type && (e.data as { connectionId?: string }).connectionId === connectionId);

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(undefined, { OUTBOUND_ALLOW_LOOPBACK: 'true' });
    provider = await keyhold.bootstrap(`provider-${randomUUID().slice(0, 8)}`);
    consumer = await keyhold.bootstrap(`consumer-${randomUUID().slice(0, 8)}`);
    account = (await keyhold.post('/v1/service-accounts', provider.token, { name: 'for the consumer tenant' })).body;
    seen['client secret'] = account.clientSecret;
    expect((await keyhold.request('PUT', `/v1/service-accounts/${account.id}/permissions/users:read`, { token: provider.token })).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  it('hands out a working access token of the token server, never the client secret', async () => {
    const created = await createConnection();
    expect(created.status).toBe(201);
    const used = await access(created.body.id);
    expect(used.status).toBe(200);
    expect(used.headers.get('cache-control')).toBe('no-store');
    expect(used.body).toMatchObject({ connectionId: created.body.id, tokenType: 'Bearer', accessToken: expect.stringMatching(/^kh_at_/), expiresAt: expect.any(String) });
    expect(used.body.credential).toEqual({ type: 'oauth2', clientId: account.clientId, tokenUrl: `${keyhold.url}/oauth/token`, scopes: ['users:read'] });
    expect(used.body.headers).toEqual({ Authorization: `Bearer ${used.body.accessToken}` });
    seen['access token'] = used.body.accessToken;
    // The token works at the token server: it speaks for the provider tenant's service account.
    const me = await keyhold.get('/v1/me', used.body.accessToken);
    expect(me.body).toMatchObject({ tenantId: provider.tenantId, actor: { kind: 'service_account', id: account.id }, permissions: ['users:read'] });
    expect((await keyhold.get('/v1/users', used.body.accessToken)).status).toBe(200);
    expect(await eventsOf('ConnectionAccessTokenFetched', created.body.id)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ host: new URL(keyhold.url).host, attempts: 1 }) }),
    ]);
  });

  it('keeps the token until shortly before it expires, and fetches it once for concurrent callers', async () => {
    const created = await createConnection();
    // Changed by issue 18: access tokens are sealed, with no event per token; the token server counts what it issues.
    const issuedTokens = async () =>
      sample((await keyhold.get('/metrics', provider.token)).text, 'keyhold_credential_changes_total', { kind: 'accessToken', change: 'issued' }) ?? 0;
    const issuedBefore = await issuedTokens();
    const answers = await Promise.all(Array.from({ length: 12 }, () => access(created.body.id)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200));
    expect(new Set(answers.map((answer) => answer.body.accessToken)).size).toBe(1);
    const again = await access(created.body.id);
    expect(again.body.accessToken).toBe(answers[0].body.accessToken);
    expect(await eventsOf('ConnectionAccessTokenFetched', created.body.id)).toHaveLength(1);
    expect(await issuedTokens()).toBe(issuedBefore + 1);
    // Every access is on record, each one.
    expect(await eventsOf('ConnectionCredentialAccessed', created.body.id)).toHaveLength(13);
  });

  it('lists the OAuth clients of connections with filters; only client ID and secret change, and a change takes effect at once', async () => {
    const created = await createConnection({ service: 'listed' });
    const other = await createConnection({ service: 'other', credential: { type: 'oauth2', clientId: 'another-client', clientSecret: 'x-secret', tokenUrl: `${keyhold.url}/oauth/token`, scopes: [] } });
    await keyhold.post('/v1/connections', consumer.token, { name: 'not oauth', service: 'listed', allowedDomains: ['slack.com'], credential: { type: 'bearer_token', token: 'a-bearer-token' } });
    const listed = await keyhold.get('/v1/connections/oauth-clients?service=listed', consumer.token);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      {
        connectionId: created.body.id,
        name: created.body.name,
        service: 'listed',
        clientId: account.clientId,
        tokenUrl: `${keyhold.url}/oauth/token`,
        scopes: ['users:read'],
        secretsSet: { clientSecret: true, refreshToken: false },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        lastAccessedAt: null,
      },
    ]);
    expect((await keyhold.get('/v1/connections/oauth-clients?clientId=another-client', consumer.token)).body.items.map((c: { connectionId: string }) => c.connectionId)).toEqual([other.body.id]);
    expect((await keyhold.get('/v1/connections/oauth-clients', provider.token)).body.items).toEqual([]);
    expectProblem(await keyhold.get('/v1/connections/oauth-clients?limit=0', consumer.token), 400, 'validation-error');

    const patch = (body: unknown) => keyhold.request('PATCH', `/v1/connections/oauth-clients/${created.body.id}`, { token: consumer.token, json: body });
    expectProblem(await patch({ tokenUrl: 'https://elsewhere.example/token' }), 400, 'validation-error');
    expectProblem(await patch({ scopes: ['users:write'] }), 400, 'validation-error');
    expectProblem(await patch({}), 400, 'validation-error');
    expectProblem(await keyhold.request('PATCH', `/v1/connections/oauth-clients/${randomUUID()}`, { token: consumer.token, json: { clientId: 'x' } }), 404, 'not-found');

    expect((await access(created.body.id)).status).toBe(200);
    seen['wrong secret'] = `wrong-${randomUUID()}`;
    const changed = await patch({ clientSecret: seen['wrong secret'] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ connectionId: created.body.id, clientId: account.clientId, secretsSet: { clientSecret: true } });
    // The cached token was for the old secret: the next access exchanges again, and fails plainly.
    const failed = await access(created.body.id);
    expectProblem(failed, 502, 'outbound-failed');
    expect(await eventsOf('ConnectionAccessTokenFetchFailed', created.body.id)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ attempts: 1, reason: 'Answered 401.' }) }),
    ]);
    expect((await patch({ clientSecret: account.clientSecret })).status).toBe(200);
    expect((await access(created.body.id)).status).toBe(200);
  });

  it('gives the raw secret only to the separately permitted reveal, on record as such', async () => {
    const created = await createConnection();
    const revealed = await keyhold.post(`/v1/connections/${created.body.id}/reveal`, consumer.token, { domain: '127.0.0.1' });
    expect(revealed.status).toBe(200);
    expect(revealed.body.credential.clientSecret).toBe(account.clientSecret);
    const accesses = await eventsOf('ConnectionCredentialAccessed', created.body.id);
    expect(accesses.map((e) => (e.data as { purpose?: string }).purpose)).toEqual(['reveal']);

    // An integration given connections.use gets tokens, not the secret.
    const adminPassword = `pw ${randomUUID()} long enough`;
    await keyhold.request('PUT', '/v1/me/password', { token: consumer.token, json: { newPassword: adminPassword } });
    const integration = await keyhold.post('/v1/integrations', consumer.token, { name: 'user of connections', email: 'a@b.example', resourceAccess: 'custom', resources: ['connections.use'], password: adminPassword });
    const { tokens } = (await keyhold.post(`/v1/integrations/${integration.body.id}/activate`, consumer.token)).body;
    expect((await access(created.body.id, tokens.accessToken)).body.accessToken).toMatch(/^kh_at_/);
    expectProblem(await keyhold.post(`/v1/connections/${created.body.id}/reveal`, tokens.accessToken, { domain: '127.0.0.1' }), 403, 'forbidden');
    expectProblem(await keyhold.post(`/v1/connections/${created.body.id}/access`, consumer.token, { domain: 'evil.example' }), 403, 'domain-not-allowed');
    expectProblem(await keyhold.post(`/v1/connections/${created.body.id}/access`, consumer.token, { domain: 42 }), 400, 'validation-error');
  });

  it('refuses plain http token URLs except to loopback where allowed, and refuses private hosts the same way', async () => {
    expectProblem(await createConnection({ allowedDomains: ['tokens.example.com'], credential: { type: 'oauth2', clientId: 'c', clientSecret: 's', tokenUrl: 'http://tokens.example.com/token', scopes: [] } }), 400, 'validation-error');
    const other = await KeyholdHarness.start();
    try {
      const tenant = await other.bootstrap(`strict-${randomUUID().slice(0, 8)}`);
      const body = { name: 'loopback', service: 's', allowedDomains: ['127.0.0.1'], credential: { type: 'oauth2', clientId: 'c', clientSecret: 's', tokenUrl: `${keyhold.url}/oauth/token`, scopes: [] } };
      expectProblem(await other.post('/v1/connections', tenant.token, body), 400, 'validation-error');
      const https = await other.post('/v1/connections', tenant.token, { ...body, credential: { ...body.credential, tokenUrl: 'https://127.0.0.1:1/oauth/token' } });
      expect(https.status).toBe(201);
      const refused = await other.post(`/v1/connections/${https.body.id}/access`, tenant.token, { domain: '127.0.0.1' });
      expectProblem(refused, 422, 'outbound-refused');
    } finally {
      await other.stop();
    }
  });

  it('keeps the client secret and the tokens out of responses, events, read models and logs', async () => {
    const { 'client secret': clientSecret, ...tokens } = seen;
    expect(secretsFoundIn(responses.map((r) => r.text).join('\n'), { clientSecret })).toEqual([]);
    expect(secretsFoundIn(JSON.stringify(await keyhold.events()), seen)).toEqual([]);
    expect(secretsFoundIn(everythingStoredUnder(keyhold.dataDir), seen)).toEqual([]);
    expect(secretsFoundIn(keyhold.logs.join('\n'), seen)).toEqual([]);
    expect(Object.keys(tokens).length).toBeGreaterThanOrEqual(2);
  });
});
