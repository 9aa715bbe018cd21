import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { oauthClient } from '../support/oauth-client';

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('Service accounts and the OAuth 2.0 endpoints, driven by oauth4webapi', () => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap('umbrella');
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  const createAccount = async (name: string) => {
    const created = await keyhold.post('/v1/service-accounts', admin.token, { name });
    expect(created.status).toBe(201);
    return created.body as { id: string; clientId: string; clientSecret: string };
  };
  const grant = (id: string, permission: string, token = admin.token) =>
    keyhold.request('PUT', `/v1/service-accounts/${id}/permissions/${permission}`, { token });
  const tokenFor = (clientId: string, clientSecret: string, extra: { scope?: string; method?: 'basic' | 'post' } = {}) =>
    oauthClient({ issuer: keyhold.url, clientId, clientSecret, method: extra.method ?? 'basic', action: 'token', scope: extra.scope });
  const introspect = (token: string) => keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token } });
  const rawToken = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    keyhold.request('POST', '/oauth/token', { form, headers });

  it('publishes RFC 8414 metadata that a real client discovers', async () => {
    const metadata = await keyhold.get('/.well-known/oauth-authorization-server');
    expect(metadata.body).toMatchObject({
      issuer: keyhold.url,
      token_endpoint: `${keyhold.url}/oauth/token`,
      revocation_endpoint: `${keyhold.url}/oauth/revoke`,
      introspection_endpoint: `${keyhold.url}/oauth/introspect`,
      grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token', 'password'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    });
    expect(metadata.body.scopes_supported).toContain('tokens:introspect');
  });

  it('creates an account with no permissions and shows its secret once', async () => {
    const account = await createAccount('nightly export');
    expect(account.clientSecret).toMatch(/^kh_cs_[0-9A-Za-z]{49}$/);
    const fetched = await keyhold.get(`/v1/service-accounts/${account.id}`, admin.token);
    expect(fetched.body).toMatchObject({ id: account.id, clientId: account.id, permissions: [], projects: [] });
    expect(fetched.text).not.toContain(account.clientSecret);
    expect(fetched.body.secretHint).toBe(`kh_cs_…${account.clientSecret.slice(-4)}`);
  });

  it('issues access tokens by client_credentials with either client authentication, within the granted scope', async () => {
    const account = await createAccount('introspector');
    expect((await grant(account.id, 'tokens:introspect')).status).toBe(200);
    expect((await grant(account.id, 'tokens:read_all')).status).toBe(200);

    for (const method of ['basic', 'post'] as const) {
      const outcome = await tokenFor(account.clientId, account.clientSecret, { method, scope: 'tokens:introspect' });
      expect(outcome).toMatchObject({ ok: true, tokens: { token_type: 'bearer', expires_in: 3600, scope: 'tokens:introspect' } });
    }
    const all = await tokenFor(account.clientId, account.clientSecret);
    expect(all.ok && all.tokens?.scope).toBe('tokens:introspect tokens:read_all');

    const beyond = await tokenFor(account.clientId, account.clientSecret, { scope: 'tokens:introspect users:write' });
    expect(beyond).toMatchObject({ ok: false, status: 400, error: 'invalid_scope' });
  });

  it('records that an account obtained tokens once per hour, never each token, and keeps every token out of the log', async () => {
    const account = await createAccount('busy');
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => tokenFor(account.clientId, account.clientSecret)));
    const tokens = outcomes.map((outcome) => (outcome.ok ? outcome.tokens!.access_token : ''));
    expect(new Set(tokens).size).toBe(5);
    const hours = new Set(await Promise.all(tokens.map(async (token) => Math.floor((await introspect(token)).body.iat / 3600))));
    const events = (await keyhold.events()).filter((event) => (event.data as { clientId?: string }).clientId === account.id);
    expect(events.filter((event) => event.type === 'AccessTokenIssued')).toEqual([]);
    const recorded = events.filter((event) => event.type === 'AccessTokensIssued');
    expect(recorded).toHaveLength(hours.size);
    expect(recorded[0]).toMatchObject({ streamName: expect.stringMatching(new RegExp(`^accessTokenIssuance-${account.id}\\.0\\.\\d+$`)), data: { clientKind: 'service_account', scope: [] } });
    const stored = JSON.stringify(events);
    for (const token of tokens) expect(stored).not.toContain(token.slice(6, 49));
  });

  it('lets an access token act within its scope and the account’s current permissions only', async () => {
    const account = await createAccount('verifier');
    await grant(account.id, 'tokens:introspect');
    await grant(account.id, 'tokens:read_all');
    const outcome = await tokenFor(account.clientId, account.clientSecret, { scope: 'tokens:introspect' });
    const accessToken = outcome.ok ? outcome.tokens!.access_token : '';
    expect(accessToken).toMatch(/^kh_at_/);

    const verified = await keyhold.request('POST', '/oauth/introspect', { token: accessToken, form: { token: admin.token } });
    expect(verified.body).toMatchObject({ active: true, sub: admin.userId });
    expectProblem(await keyhold.get('/v1/tokens?owner=all', accessToken), 403, 'forbidden');

    const described = await introspect(accessToken);
    expect(described.body).toMatchObject({
      active: true,
      sub: account.id,
      client_id: account.id,
      scope: 'tokens:introspect',
      actor_kind: 'service_account',
      credential_kind: 'access_token',
      tenant_id: admin.tenantId,
      permissions: ['tokens:introspect'],
    });
    expect(described.body.exp - described.body.iat).toBe(3600);

    // Removing the permission narrows the outstanding token at once.
    await keyhold.request('DELETE', `/v1/service-accounts/${account.id}/permissions/tokens:introspect`, { token: admin.token });
    expect((await introspect(accessToken)).body.permissions).toEqual([]);
    const refused = await keyhold.request('POST', '/oauth/introspect', { token: accessToken, form: { token: admin.token } });
    expect(refused.status).toBe(403);
  });

  it('lists the tokens currently valid for an account and revokes them by RFC 7009', async () => {
    const account = await createAccount('revoker');
    const first = await tokenFor(account.clientId, account.clientSecret);
    const second = await tokenFor(account.clientId, account.clientSecret);
    const [a, b] = [first, second].map((o) => (o.ok ? o.tokens!.access_token : ''));
    // Changed by issue 18: tokens are sealed and nothing is recorded per token; the list shows each
    // hour in which the account obtained tokens (both tokens' hours here), and never a token.
    const hours = new Set(await Promise.all([a, b].map(async (token) => Math.floor((await introspect(token)).body.iat / 3600))));
    let listed = await keyhold.get(`/v1/service-accounts/${account.id}/tokens`, admin.token);
    expect(listed.body.items).toHaveLength(hours.size);
    expect(listed.text).not.toContain(a);
    expect(listed.text).not.toContain(b);

    const revoked = await oauthClient({ issuer: keyhold.url, clientId: account.clientId, clientSecret: account.clientSecret, method: 'basic', action: 'revoke', token: a });
    expect(revoked.ok).toBe(true);
    expect((await introspect(a)).body).toEqual({ active: false });
    expect((await introspect(b)).body.active).toBe(true);
    // Revoking one token leaves the record that the account obtained tokens in that hour.
    listed = await keyhold.get(`/v1/service-accounts/${account.id}/tokens`, admin.token);
    expect(listed.body.items).toHaveLength(hours.size);

    // Unknown tokens and other clients' tokens: 200 and nothing happens (RFC 7009 §2.2).
    const other = await createAccount('bystander');
    const foreign = await oauthClient({ issuer: keyhold.url, clientId: other.clientId, clientSecret: other.clientSecret, method: 'post', action: 'revoke', token: b });
    expect(foreign.ok).toBe(true);
    expect((await introspect(b)).body.active).toBe(true);
    const unknown = await oauthClient({ issuer: keyhold.url, clientId: other.clientId, clientSecret: other.clientSecret, method: 'post', action: 'revoke', token: 'not-a-token' });
    expect(unknown.ok).toBe(true);
  });

  it('resets the secret: the old secret and its tokens die at once, and so do every permission and project', async () => {
    const account = await createAccount('rotated');
    await grant(account.id, 'tokens:introspect');
    await keyhold.request('PUT', `/v1/service-accounts/${account.id}/projects/bridge-42`, { token: admin.token });
    const before = await tokenFor(account.clientId, account.clientSecret);
    const oldAccessToken = before.ok ? before.tokens!.access_token : '';
    expect((await introspect(oldAccessToken)).body.projects).toEqual(['bridge-42']);

    const reset = await keyhold.post(`/v1/service-accounts/${account.id}/reset-secret`, admin.token);
    expect(reset.status).toBe(200);
    expect(reset.headers.get('cache-control')).toBe('no-store');
    const newSecret = reset.body.clientSecret as string;
    expect(newSecret).not.toBe(account.clientSecret);

    expect(await tokenFor(account.clientId, account.clientSecret)).toMatchObject({ ok: false, status: 401 });
    expect((await introspect(oldAccessToken)).body).toEqual({ active: false });
    // No window where the new secret carries the old rights.
    expect(await tokenFor(account.clientId, newSecret, { scope: 'tokens:introspect' })).toMatchObject({ ok: false, error: 'invalid_scope' });
    const fresh = await tokenFor(account.clientId, newSecret);
    expect(fresh).toMatchObject({ ok: true, tokens: { scope: '' } });

    // The consumer of ClientSecretReset records the permissions reset, once.
    const events = keyhold.app.get<symbol, EventStore>(EVENT_STORE);
    let resets: unknown[] = [];
    for (let attempt = 0; attempt < 50 && resets.length === 0; attempt += 1) {
      resets = (await events.readStream(`serviceAccount-${account.id}`)).filter((e) => e.type === 'ServiceAccountPermissionsReset');
      if (resets.length === 0) await sleep(100);
    }
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({
      data: { removedPermissions: ['tokens:introspect'], leftProjects: ['bridge-42'], generation: 1 },
      metadata: { actorId: 'system:permissions-reset' },
    });
    const view = await keyhold.get(`/v1/service-accounts/${account.id}`, admin.token);
    expect(view.body).toMatchObject({ permissions: [], projects: [], permissionsResetPending: false });
    // And the account can be granted rights again.
    expect((await grant(account.id, 'tokens:introspect')).status).toBe(200);
  });

  it('stops a sunset account from authenticating at its sunset instant', async () => {
    const account = await createAccount('legacy');
    const outcome = await tokenFor(account.clientId, account.clientSecret);
    const accessToken = outcome.ok ? outcome.tokens!.access_token : '';
    // Seconds ahead, not one: the PUT and the token request before the sunset (a client in a
    // child process) took more than 1.2 s on a loaded machine, and the test then failed.
    const sunsetMs = Date.now() + 4000;
    const sunsetAt = new Date(sunsetMs).toISOString();
    expect((await keyhold.request('PUT', `/v1/service-accounts/${account.id}/sunset`, { token: admin.token, json: { sunsetAt } })).status).toBe(200);
    expect((await tokenFor(account.clientId, account.clientSecret)).ok).toBe(true);
    await sleep(Math.max(0, sunsetMs - Date.now()) + 200);
    expect(await tokenFor(account.clientId, account.clientSecret)).toMatchObject({ ok: false, status: 401 });
    expect((await introspect(accessToken)).body).toEqual({ active: false });
  });

  it('deletes an account: its secret and tokens stop working and it is gone', async () => {
    const account = await createAccount('doomed');
    const outcome = await tokenFor(account.clientId, account.clientSecret);
    const accessToken = outcome.ok ? outcome.tokens!.access_token : '';
    expect((await keyhold.request('DELETE', `/v1/service-accounts/${account.id}`, { token: admin.token })).status).toBe(204);
    expect((await introspect(accessToken)).body).toEqual({ active: false });
    expect(await tokenFor(account.clientId, account.clientSecret)).toMatchObject({ ok: false, status: 401 });
    expectProblem(await keyhold.get(`/v1/service-accounts/${account.id}`, admin.token), 404, 'not-found');
    expectProblem(await grant(account.id, 'tokens:read'), 404, 'not-found');
  });

  describe('token endpoint errors (RFC 6749 §5.2)', () => {
    let account: { id: string; clientId: string; clientSecret: string };
    beforeAll(async () => {
      account = await createAccount('errors');
    });

    it('answers invalid_client with a Basic challenge for a wrong secret sent by client_secret_basic', async () => {
      const wrong = await tokenFor(account.clientId, 'kh_cs_' + 'x'.repeat(49));
      expect(wrong).toMatchObject({ ok: false, status: 401, scheme: 'basic' });
      const raw = await rawToken({ grant_type: 'client_credentials' }, { authorization: basic(account.clientId, 'nope') });
      expect(raw.status).toBe(401);
      expect(raw.body).toMatchObject({ error: 'invalid_client' });
      expect(raw.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(raw.headers.get('cache-control')).toBe('no-store');
    });

    // Changed by issue 13: every 401 carries WWW-Authenticate (RFC 9110 §11.6.1), client_secret_post's too.
    it('answers invalid_client with a Basic challenge for client_secret_post too, and for an unknown client', async () => {
      expect(await tokenFor(account.clientId, 'wrong', { method: 'post' })).toMatchObject({ ok: false, status: 401, scheme: 'basic' });
      expect(await tokenFor('00000000-0000-4000-8000-000000000000', account.clientSecret, { method: 'post' })).toMatchObject({
        ok: false,
        status: 401,
        scheme: 'basic',
      });
      const none = await rawToken({ grant_type: 'client_credentials' });
      expect(none.status).toBe(401);
      expect(none.body.error).toBe('invalid_client');
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    });

    it.each([
      ['an unsupported grant type', { grant_type: 'urn:example:magic' }, 400, 'unsupported_grant_type'],
      ['a grant this client may not use', { grant_type: 'password', username: 'a', password: 'b' }, 400, 'unauthorized_client'],
      ['a missing grant type', {}, 400, 'invalid_request'],
      ['a malformed scope', { grant_type: 'client_credentials', scope: 'a  b' }, 400, 'invalid_request'],
      ['an unknown scope', { grant_type: 'client_credentials', scope: 'root' }, 400, 'invalid_scope'],
    ])('answers %s', async (_name, form, status, error) => {
      const result = await rawToken(form as Record<string, string>, { authorization: basic(account.clientId, account.clientSecret) });
      expect(result.status).toBe(status);
      expect(result.body).toEqual({ error, error_description: expect.any(String) });
      expect(result.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses two client authentication methods at once, and a JSON body', async () => {
      const both = await rawToken(
        { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret },
        { authorization: basic(account.clientId, account.clientSecret) },
      );
      expect(both.body.error).toBe('invalid_request');
      const json = await keyhold.request('POST', '/oauth/token', { json: { grant_type: 'client_credentials' } });
      expect(json.status).toBe(400);
      expect(json.body.error).toBe('invalid_request');
    });

    // Changed by issue 13: the delay is per (client, source) and progressive, never a hard lock.
    it('delays repeated failed authentications of a client from one source, even with the right secret meanwhile', async () => {
      const target = await createAccount('brute-forced');
      const answers: number[] = [];
      for (let attempt = 0; attempt < 10; attempt += 1) {
        answers.push((await rawToken({ grant_type: 'client_credentials', client_id: target.clientId, client_secret: `guess-${attempt}` })).status);
      }
      // Five free failures, then each one delays the next attempt (401 once the delay has passed, 429 before).
      expect(answers.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
      expect(answers.slice(6).every((status) => status === 401 || status === 429)).toBe(true);
      const throttled = await rawToken({ grant_type: 'client_credentials', client_id: target.clientId, client_secret: target.clientSecret });
      expect(throttled.status).toBe(429);
      expect(throttled.body.error).toBe('invalid_client');
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      // Other clients are not affected by one client's throttle.
      expect((await tokenFor(account.clientId, account.clientSecret)).ok).toBe(true);
    });
  });

  describe('management', () => {
    it('refuses members, grants beyond the granter’s own rights and bad input', async () => {
      const account = await createAccount('managed');
      const { token: memberToken } = await keyhold.addUser(admin.token, 'member@umbrella.test', 'member');
      expectProblem(await keyhold.post('/v1/service-accounts', memberToken, { name: 'sneaky' }), 403, 'forbidden');
      expectProblem(await keyhold.get(`/v1/service-accounts/${account.id}`, memberToken), 403, 'forbidden');

      const readOnly = await keyhold.post('/v1/tokens', admin.token, { label: 'read only admin', scope: 'read' });
      expectProblem(await grant(account.id, 'tokens:introspect', readOnly.body.token), 403, 'forbidden');

      expectProblem(await grant(account.id, 'root:everything'), 400, 'validation-error');
      expectProblem(await keyhold.request('PUT', `/v1/service-accounts/${account.id}/projects/${encodeURIComponent('bad project!')}`, { token: admin.token }), 400, 'validation-error');
      expectProblem(await keyhold.post('/v1/service-accounts', admin.token, { name: '' }), 400, 'validation-error');
      expectProblem(await keyhold.post('/v1/service-accounts', admin.token, { name: 'x', sunsetAt: '2001-01-01T00:00:00Z' }), 400, 'validation-error');
      expectProblem(await keyhold.post('/v1/service-accounts', admin.token, { name: 'x', permissions: ['tokens:read'] }), 400, 'validation-error');
      expectProblem(await grant('00000000-0000-4000-8000-000000000000', 'tokens:read'), 404, 'not-found');
      expectProblem(await grant('not-a-uuid', 'tokens:read'), 400, 'validation-error');
    });

    it('keeps accounts and their tokens inside their tenant', async () => {
      const account = await createAccount('private');
      await grant(account.id, 'tokens:introspect');
      const outcome = await tokenFor(account.clientId, account.clientSecret);
      const accessToken = outcome.ok ? outcome.tokens!.access_token : '';
      const other = await keyhold.bootstrap('initech-oauth');

      expectProblem(await keyhold.get(`/v1/service-accounts/${account.id}`, other.token), 404, 'not-found');
      expectProblem(await keyhold.request('PUT', `/v1/service-accounts/${account.id}/permissions/tokens:read`, { token: other.token }), 404, 'not-found');
      expectProblem(await keyhold.post(`/v1/service-accounts/${account.id}/reset-secret`, other.token), 404, 'not-found');
      expectProblem(await keyhold.request('DELETE', `/v1/service-accounts/${account.id}`, { token: other.token }), 404, 'not-found');
      expect((await keyhold.request('POST', '/oauth/introspect', { token: other.token, form: { token: accessToken } })).body).toEqual({ active: false });
      // The other tenant's admin token cannot be introspected by this tenant's service account either.
      expect((await keyhold.request('POST', '/oauth/introspect', { token: accessToken, form: { token: other.token } })).body).toEqual({ active: false });
      const listed = await keyhold.get('/v1/service-accounts?limit=200', other.token);
      expect(listed.body.items).toEqual([]);
    });

    it('stores no client secret or access token in clear', async () => {
      const account = await createAccount('scanned');
      const outcome = await tokenFor(account.clientId, account.clientSecret);
      const accessToken = outcome.ok ? outcome.tokens!.access_token : '';
      const reset = await keyhold.post(`/v1/service-accounts/${account.id}/reset-secret`, admin.token);
      const stored = Buffer.concat(
        readdirSync(keyhold.dataDir, { withFileTypes: true, recursive: true })
          .filter((entry) => entry.isFile())
          .map((entry) => readFileSync(join(entry.parentPath, entry.name))),
      );
      const logs = keyhold.logs.join('\n');
      for (const secret of [account.clientSecret, accessToken, reset.body.clientSecret as string]) {
        expect(secret).toMatch(/^kh_(cs|at)_/);
        expect(stored.includes(secret.slice(6, 49))).toBe(false);
        expect(logs.includes(secret.slice(6, 49))).toBe(false);
      }
    });
  });
});
