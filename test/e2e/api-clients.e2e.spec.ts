import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLE_PERMISSIONS } from '@keyhold/domain';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { SecretExpiryJob } from '../../apps/worker/src/secret-expiry.job';
import { UsageRecorder } from '../../apps/api/src/verification/usage-recorder';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { oauthClient } from '../support/oauth-client';

const DAY_MS = 86_400_000;
const OFF = { requirePkce: false, refreshTokens: false, password: false, clientCredentials: false, clientCredentialsRoles: [] as string[] };

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

type CreatedClient = { id: string; clientId: string; name: string; clientSecret: string; secretId: string; secretExpiresAt: string };

describe('OAuth API clients, driven over HTTP and by oauth4webapi', () => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };
  let events: EventStore;

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap('wayne');
    events = keyhold.app.get<symbol, EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  const createClient = async (name: string, extra: Record<string, unknown> = {}, token = admin.token) => {
    const created = await keyhold.post('/v1/api-clients', token, { name, ...extra });
    expect(created.status).toBe(201);
    return created.body as CreatedClient;
  };
  const setFlows = (id: string, flows: Record<string, unknown>, token = admin.token, headers: Record<string, string> = {}) =>
    keyhold.request('PUT', `/v1/api-clients/${id}/flows`, { token, json: { ...OFF, ...flows }, headers });
  const addSecret = (id: string, body: Record<string, unknown> = {}, token = admin.token) => keyhold.post(`/v1/api-clients/${id}/secrets`, token, body);
  const tokenFor = (clientId: string, clientSecret: string, scope?: string) =>
    oauthClient({ issuer: keyhold.url, clientId, clientSecret, method: 'basic', action: 'token', scope });
  const accessTokenOf = (outcome: Awaited<ReturnType<typeof tokenFor>>) => (outcome.ok ? outcome.tokens!.access_token : '');
  const introspect = (token: string) => keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token } });
  const rawToken = (clientId: string, secret: string, form: Record<string, string>) =>
    keyhold.request('POST', '/oauth/token', { form, headers: { authorization: basic(clientId, secret) } });
  const streamOf = async (clientId: string) => events.readStream(`apiClient-${clientId}`);
  const addUri = (id: string, uri: string, token = admin.token) => keyhold.post(`/v1/api-clients/${id}/redirect-uris`, token, { uri });

  it('creates a client: the id and first secret are in the answer, once, and the secret lives six months', async () => {
    const before = Date.now();
    const created = await keyhold.post('/v1/api-clients', admin.token, { name: 'reporting dashboard' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const client = created.body as CreatedClient;
    expect(client).toMatchObject({ clientId: client.id, name: 'reporting dashboard', secretId: expect.any(String) });
    expect(client.clientSecret).toMatch(/^kh_cs_[0-9A-Za-z]{49}$/);
    expect(created.headers.get('location')).toBe(`/v1/api-clients/${client.clientId}`);
    const lifetime = Date.parse(client.secretExpiresAt) - before;
    expect(lifetime).toBeGreaterThanOrEqual(180 * DAY_MS - 1000);
    expect(lifetime).toBeLessThanOrEqual(180 * DAY_MS + 5000);

    const fetched = await keyhold.get(`/v1/api-clients/${client.id}`, admin.token);
    expect(fetched.body).toMatchObject({
      id: client.id,
      clientId: client.id,
      name: 'reporting dashboard',
      flows: { authorizationCode: true, ...OFF },
      redirectUris: [],
    });
    expect(fetched.text).not.toContain(client.clientSecret);

    const secrets = await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token);
    expect(secrets.body.items).toEqual([
      { id: client.secretId, hint: `kh_cs_…${client.clientSecret.slice(-4)}`, createdAt: expect.any(String), expiresAt: client.secretExpiresAt, status: 'active', lastUsedAt: null },
    ]);
    expect(secrets.text).not.toContain(client.clientSecret);

    const stream = await streamOf(client.id);
    expect(stream.map((event) => event.type)).toEqual(['ApiClientCreated', 'ClientSecretAdded']);
    expect(stream[0].metadata).toMatchObject({ actorId: admin.userId, tenantId: admin.tenantId });

    const listed = await keyhold.get('/v1/api-clients', admin.token);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(client.id);
  });

  it('renames a client, as an event with its actor and reason', async () => {
    const client = await createClient('old name');
    const renamed = await keyhold.request('PATCH', `/v1/api-clients/${client.id}`, { token: admin.token, json: { name: 'new name' }, headers: { 'keyhold-reason': 'product renamed' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: client.id, name: 'new name' });
    expect((await keyhold.get(`/v1/api-clients/${client.id}`, admin.token)).body.name).toBe('new name');
    const event = (await streamOf(client.id)).find((e) => e.type === 'ApiClientRenamed');
    expect(event).toMatchObject({ data: { name: 'new name' }, metadata: { actorId: admin.userId, reason: 'product renamed' } });
  });

  describe('flows', () => {
    it('refuses client_credentials with unauthorized_client while the flow is off', async () => {
      const client = await createClient('flows off');
      expect(await tokenFor(client.clientId, client.clientSecret)).toMatchObject({ ok: false, status: 400, error: 'unauthorized_client' });
    });

    it('once enabled with roles, issues tokens carrying those roles’ permissions; off again, refuses again', async () => {
      const client = await createClient('flows on');
      const enabled = await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] }, admin.token, { 'keyhold-reason': 'nightly sync' });
      expect(enabled.status).toBe(200);
      expect(enabled.body.flows).toEqual({ authorizationCode: true, ...OFF, clientCredentials: true, clientCredentialsRoles: ['member'] });

      const outcome = await tokenFor(client.clientId, client.clientSecret);
      expect(outcome).toMatchObject({ ok: true, tokens: { token_type: 'bearer', scope: 'tokens:read tokens:write' } });
      const accessToken = accessTokenOf(outcome);
      expect((await introspect(accessToken)).body).toMatchObject({
        active: true,
        sub: client.id,
        client_id: client.id,
        actor_kind: 'api_client',
        credential_kind: 'access_token',
        tenant_id: admin.tenantId,
        permissions: [...ROLE_PERMISSIONS.member].sort(),
      });
      expect(await tokenFor(client.clientId, client.clientSecret, 'users:read')).toMatchObject({ ok: false, error: 'invalid_scope' });
      // The token acts with the member role's rights, not more.
      expectProblem(await keyhold.get('/v1/users', accessToken), 403, 'forbidden');

      const listed = await keyhold.get(`/v1/api-clients/${client.id}/tokens`, admin.token);
      expect(listed.body.items).toEqual([{ id: expect.any(String), scope: 'tokens:read tokens:write', issuedAt: expect.any(String), expiresAt: expect.any(String) }]);
      expect(listed.text).not.toContain(accessToken);

      expect((await setFlows(client.id, { clientCredentials: false, clientCredentialsRoles: ['member'] })).status).toBe(200);
      expect(await tokenFor(client.clientId, client.clientSecret)).toMatchObject({ ok: false, error: 'unauthorized_client' });
      expect((await introspect(accessToken)).body.permissions).toEqual([]);

      const changes = (await streamOf(client.id)).filter((e) => e.type === 'ApiClientFlowsChanged');
      expect(changes).toHaveLength(2);
      expect(changes[0]).toMatchObject({
        data: { flows: { clientCredentials: true, clientCredentialsRoles: ['member'] } },
        metadata: { actorId: admin.userId, reason: 'nightly sync' },
      });
      // The same settings again are no change, and no event.
      await setFlows(client.id, { clientCredentials: false, clientCredentialsRoles: ['member'] });
      expect((await streamOf(client.id)).filter((e) => e.type === 'ApiClientFlowsChanged')).toHaveLength(2);
    });

    it('answers unauthorized_client for a grant that is off, and serves it once on (issue 15)', async () => {
      const client = await createClient('grants');
      for (const grant_type of ['refresh_token', 'password']) {
        const refused = await rawToken(client.clientId, client.clientSecret, { grant_type });
        expect(refused.status).toBe(400);
        expect(refused.body.error).toBe('unauthorized_client');
      }
      await setFlows(client.id, { refreshTokens: true, password: true, requirePkce: true });
      for (const grant_type of ['refresh_token', 'password', 'authorization_code']) {
        // Served now: without its parameters the request is incomplete, not the grant unknown.
        const incomplete = await rawToken(client.clientId, client.clientSecret, { grant_type });
        expect(incomplete.status).toBe(400);
        expect(incomplete.body.error).toBe('invalid_request');
      }
      expect((await rawToken(client.clientId, client.clientSecret, { grant_type: 'urn:example:magic' })).body.error).toBe('unsupported_grant_type');
      expect((await keyhold.get(`/v1/api-clients/${client.id}`, admin.token)).body.flows).toEqual({
        authorizationCode: true,
        requirePkce: true,
        refreshTokens: true,
        password: true,
        clientCredentials: false,
        clientCredentialsRoles: [],
      });
    });

    it('refuses bad settings: authorization code off, unknown roles, missing flags', async () => {
      const client = await createClient('bad flows');
      expectProblem(await setFlows(client.id, { authorizationCode: false }), 400, 'validation-error');
      expectProblem(await setFlows(client.id, { clientCredentialsRoles: ['root'] }), 400, 'validation-error');
      expectProblem(await keyhold.request('PUT', `/v1/api-clients/${client.id}/flows`, { token: admin.token, json: { clientCredentials: true } }), 400, 'validation-error');
      expect((await setFlows(client.id, { authorizationCode: true })).status).toBe(200);
    });
  });

  describe('flows, changed in part', () => {
    const patchFlows = (id: string, json: Record<string, unknown>) => keyhold.request('PATCH', `/v1/api-clients/${id}/flows`, { token: admin.token, json });

    it('changes only the settings given, keeps the others, and still refuses bad values', async () => {
      const client = await createClient('patched flows');
      const pkce = await patchFlows(client.id, { requirePkce: true });
      expect(pkce.status).toBe(200);
      expect(pkce.body.flows).toEqual({ authorizationCode: true, ...OFF, requirePkce: true });

      const enabled = await patchFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] });
      expect(enabled.body.flows).toEqual({ authorizationCode: true, ...OFF, requirePkce: true, clientCredentials: true, clientCredentialsRoles: ['member'] });
      expect(await tokenFor(client.clientId, client.clientSecret)).toMatchObject({ ok: true });

      const refresh = await patchFlows(client.id, { refreshTokens: true });
      expect(refresh.body.flows).toEqual({ authorizationCode: true, ...OFF, requirePkce: true, refreshTokens: true, clientCredentials: true, clientCredentialsRoles: ['member'] });
      expect((await patchFlows(client.id, {})).body.flows).toEqual(refresh.body.flows);

      expectProblem(await patchFlows(client.id, { refreshTokens: 'yes' }), 400, 'validation-error');
      expectProblem(await patchFlows(client.id, { authorizationCode: false }), 400, 'validation-error');
      expectProblem(await patchFlows(client.id, { clientCredentialsRoles: ['root'] }), 400, 'validation-error');
      expect((await keyhold.get(`/v1/api-clients/${client.id}`, admin.token)).body.flows).toEqual(refresh.body.flows);
      // Three changes; the empty one and the refused ones recorded nothing.
      expect((await streamOf(client.id)).filter((e) => e.type === 'ApiClientFlowsChanged')).toHaveLength(3);
    });
  });

  describe('secrets', () => {
    it('rotates without downtime: two secrets both authenticate, removing one stops only it', async () => {
      const client = await createClient('rotating');
      await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] });
      const added = await addSecret(client.id, { lifetimeDays: 30 });
      expect(added.status).toBe(201);
      expect(added.headers.get('cache-control')).toBe('no-store');
      const second = added.body as { secretId: string; clientSecret: string; expiresAt: string };
      expect(second.clientSecret).toMatch(/^kh_cs_/);
      expect(Math.abs(Date.parse(second.expiresAt) - Date.now() - 30 * DAY_MS)).toBeLessThan(10_000);

      expect((await tokenFor(client.clientId, client.clientSecret)).ok).toBe(true);
      expect((await tokenFor(client.clientId, second.clientSecret)).ok).toBe(true);

      let listed = await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token);
      expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([client.secretId, second.secretId]);
      expect(listed.body.items.every((s: { lastUsedAt: string | null }) => typeof s.lastUsedAt === 'string')).toBe(true);
      expect(listed.text).not.toContain(second.clientSecret);

      const removed = await keyhold.request('DELETE', `/v1/api-clients/${client.id}/secrets/${client.secretId}`, { token: admin.token });
      expect(removed.status).toBe(204);
      expect(await tokenFor(client.clientId, client.clientSecret)).toMatchObject({ ok: false, status: 401, scheme: 'basic' });
      expect((await tokenFor(client.clientId, second.clientSecret)).ok).toBe(true);
      listed = await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token);
      expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([second.secretId]);

      // Removing it again changes nothing; an unknown secret is not found.
      expect((await keyhold.request('DELETE', `/v1/api-clients/${client.id}/secrets/${client.secretId}`, { token: admin.token })).status).toBe(204);
      expectProblem(await keyhold.request('DELETE', `/v1/api-clients/${client.id}/secrets/00000000-0000-4000-8000-000000000000`, { token: admin.token }), 404, 'not-found');
      expect((await streamOf(client.id)).filter((e) => e.type === 'ClientSecretRemoved')).toHaveLength(1);
    });

    it('records the last use of each secret in the usage collection', async () => {
      const client = await createClient('usage');
      await tokenFor(client.clientId, client.clientSecret);
      const recorder = keyhold.app.get(UsageRecorder);
      await recorder.flush();
      const listed = await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token);
      expect(Date.now() - Date.parse(listed.body.items[0].lastUsedAt)).toBeLessThan(30_000);
    });

    it('holds at most five live secrets, and lifetimes within the configured maximum', async () => {
      const client = await createClient('crowded');
      for (let n = 0; n < 4; n += 1) expect((await addSecret(client.id)).status).toBe(201);
      expectProblem(await addSecret(client.id), 409, 'too-many-client-secrets');

      expectProblem(await addSecret(client.id, { lifetimeDays: 731 }), 400, 'validation-error');
      expectProblem(await addSecret(client.id, { lifetimeDays: 0 }), 400, 'validation-error');
      expectProblem(await addSecret(client.id, { lifetimeDays: 1.5 }), 400, 'validation-error');
      expectProblem(await keyhold.post('/v1/api-clients', admin.token, { name: 'too long', secretLifetimeDays: 731 }), 400, 'validation-error');
      const longest = await createClient('longest', { secretLifetimeDays: 730 });
      expect(Math.abs(Date.parse(longest.secretExpiresAt) - Date.now() - 730 * DAY_MS)).toBeLessThan(10_000);
    });

    describe('within a tenant maximum', () => {
      const setMax = (value: unknown, token: string) => keyhold.request('PATCH', '/v1/settings', { token, json: { clientSecretMaxLifetimeDays: value } });
      const expectLifetime = (expiresAt: string, days: number) => expect(Math.abs(Date.parse(expiresAt) - Date.now() - days * DAY_MS)).toBeLessThan(10_000);

      it('keeps lifetimes and the default within the maximum the tenant set, for that tenant only, until cleared', async () => {
        const tenant = await keyhold.bootstrap('wayne-short-lived');
        const set = await setMax(30, tenant.token);
        expect(set.status).toBe(200);
        expect(set.body).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: 30 });
        expect((await keyhold.get('/v1/settings', tenant.token)).body).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: 30 });

        const client = await createClient('short-lived', {}, tenant.token);
        expectLifetime(client.secretExpiresAt, 30);
        const refused = await addSecret(client.id, { lifetimeDays: 31 }, tenant.token);
        expectProblem(refused, 400, 'validation-error');
        expect(refused.body.errors).toEqual([{ field: 'lifetimeDays', messages: ["lifetimeDays must be at most 30 days (the tenant's maximum)"] }]);
        const refusedAtCreation = await keyhold.post('/v1/api-clients', tenant.token, { name: 'too long', secretLifetimeDays: 31 });
        expectProblem(refusedAtCreation, 400, 'validation-error');
        expect(refusedAtCreation.body.errors.map((e: { field: string }) => e.field)).toEqual(['secretLifetimeDays']);
        const longest = await addSecret(client.id, { lifetimeDays: 30 }, tenant.token);
        expect(longest.status).toBe(201);
        expectLifetime(longest.body.expiresAt, 30);

        // Another tenant keeps the service-wide maximum and the six-month default.
        expect((await keyhold.get('/v1/settings', admin.token)).body).toMatchObject({ clientSecretMaxLifetimeDays: null });
        const unaffected = await createClient('unaffected');
        expectLifetime(unaffected.secretExpiresAt, 180);
        expect((await addSecret(unaffected.id, { lifetimeDays: 31 })).status).toBe(201);

        // Cleared with null: the service-wide maximum and the six-month default again.
        expect((await setMax(null, tenant.token)).body).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: null });
        const after = await addSecret(client.id, {}, tenant.token);
        expect(after.status).toBe(201);
        expectLifetime(after.body.expiresAt, 180);
        expect((await addSecret(client.id, { lifetimeDays: 730 }, tenant.token)).status).toBe(201);

        const changes = (await events.readStream(`tenantSettings-${tenant.tenantId}`)).filter((e) => e.type === 'ClientSecretMaxLifetimeChanged');
        expect(changes.map((e) => e.data)).toEqual([
          { tenantId: tenant.tenantId, maxDays: 30, changedAt: expect.any(String), changedBy: tenant.userId },
          { tenantId: tenant.tenantId, maxDays: null, changedAt: expect.any(String), changedBy: tenant.userId },
        ]);
      });

      it('is set by admins only, never above CLIENT_SECRET_MAX_DAYS, and in one change with the other settings', async () => {
        const tenant = await keyhold.bootstrap('wayne-settings-guard');
        const member = await keyhold.addUser(tenant.token, 'member@wayne-settings-guard.test', 'member');
        expectProblem(await setMax(30, member.token), 403, 'forbidden');

        const above = await setMax(731, tenant.token);
        expectProblem(above, 400, 'validation-error');
        expect(above.body.errors).toEqual([{ field: 'clientSecretMaxLifetimeDays', messages: ['clientSecretMaxLifetimeDays must be at most 730 days (the service-wide maximum)'] }]);
        for (const bad of [0, 1.5, '30', true]) {
          const refused = await setMax(bad, tenant.token);
          expectProblem(refused, 400, 'validation-error');
          expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['clientSecretMaxLifetimeDays']);
        }
        expect((await keyhold.get('/v1/settings', tenant.token)).body).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: null });

        const both = await keyhold.request('PATCH', '/v1/settings', { token: tenant.token, json: { allowAnonymousGuestAccess: true, clientSecretMaxLifetimeDays: 730 } });
        expect(both.body).toEqual({ allowAnonymousGuestAccess: true, clientSecretMaxLifetimeDays: 730 });
        expect((await setMax(730, tenant.token)).status).toBe(200);
        const stream = await events.readStream(`tenantSettings-${tenant.tenantId}`);
        expect(stream.map((e) => e.type)).toEqual(['AnonymousGuestAccessChanged', 'ClientSecretMaxLifetimeChanged']);
      });
    });

    it('stops an expired secret, and the expiry job records ClientSecretExpired once', async () => {
      const client = await createClient('expiring');
      const short = (await addSecret(client.id, { lifetimeDays: 1 })).body as { secretId: string; clientSecret: string; expiresAt: string };
      await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] });
      expect((await tokenFor(client.clientId, short.clientSecret)).ok).toBe(true);

      // The job is given the instant it runs at: two days on, the one-day secret is past its expiry.
      const job = keyhold.app.get(SecretExpiryJob);
      const twoDaysOn = new Date(Date.now() + 2 * DAY_MS);
      expect(await job.expireDue(twoDaysOn)).toBeGreaterThanOrEqual(1);
      const expired = (await streamOf(client.id)).filter((e) => e.type === 'ClientSecretExpired');
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({ data: { secretId: short.secretId, expiresAt: short.expiresAt }, metadata: { actorId: 'system:secret-expiry', tenantId: admin.tenantId } });
      expect(await job.expireDue(twoDaysOn)).toBe(0);
      expect((await streamOf(client.id)).filter((e) => e.type === 'ClientSecretExpired')).toHaveLength(1);

      expect(await tokenFor(client.clientId, short.clientSecret)).toMatchObject({ ok: false, status: 401 });
      expect((await tokenFor(client.clientId, client.clientSecret)).ok).toBe(true);
      const listed = await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token);
      expect(listed.body.items.find((s: { id: string }) => s.id === short.secretId)).toMatchObject({ status: 'expired' });
      // An expired secret can still be removed, so that it leaves the list.
      expect((await keyhold.request('DELETE', `/v1/api-clients/${client.id}/secrets/${short.secretId}`, { token: admin.token })).status).toBe(204);
      expect((await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token)).body.items).toHaveLength(1);
    });

    it('lists the tenant’s active secrets expiring within N days, soonest first, page by page', async () => {
      const tenant = await keyhold.bootstrap('wayne-expiring');
      const soon = await createClient('soon', { secretLifetimeDays: 5 }, tenant.token);
      const later = await createClient('later', { secretLifetimeDays: 20 }, tenant.token);
      await createClient('far', {}, tenant.token);
      const gone = await createClient('gone', { secretLifetimeDays: 3 }, tenant.token);
      await keyhold.request('DELETE', `/v1/api-clients/${gone.id}/secrets/${gone.secretId}`, { token: tenant.token });

      const within10 = await keyhold.get('/v1/api-client-secrets?expiringWithinDays=10', tenant.token);
      expect(within10.status).toBe(200);
      expect(within10.body).toEqual({
        items: [{ id: soon.secretId, clientId: soon.id, clientName: 'soon', hint: expect.stringMatching(/^kh_cs_…/), createdAt: expect.any(String), expiresAt: soon.secretExpiresAt }],
        nextCursor: null,
      });
      const within30 = await keyhold.get('/v1/api-client-secrets?expiringWithinDays=30', tenant.token);
      expect(within30.body.items.map((s: { id: string }) => s.id)).toEqual([soon.secretId, later.secretId]);

      const first = await keyhold.get('/v1/api-client-secrets?expiringWithinDays=30&limit=1', tenant.token);
      expect(first.body.items.map((s: { id: string }) => s.id)).toEqual([soon.secretId]);
      const next = await keyhold.get(`/v1/api-client-secrets?expiringWithinDays=30&limit=1&cursor=${first.body.nextCursor}`, tenant.token);
      expect(next.body.items.map((s: { id: string }) => s.id)).toEqual([later.secretId]);

      // Another tenant's secrets are not listed, and N is bounded.
      expect((await keyhold.get('/v1/api-client-secrets?expiringWithinDays=10', admin.token)).body.items.map((s: { id: string }) => s.id)).not.toContain(soon.secretId);
      expectProblem(await keyhold.get('/v1/api-client-secrets?expiringWithinDays=0', tenant.token), 400, 'validation-error');
      expectProblem(await keyhold.get('/v1/api-client-secrets?expiringWithinDays=3651', tenant.token), 400, 'validation-error');
      expectProblem(await keyhold.get('/v1/api-client-secrets', tenant.token), 400, 'validation-error');
    });
  });

  describe('redirect URIs', () => {
    it('accepts https and loopback http, keeps them exactly, ignores duplicates, and removes them', async () => {
      const client = await createClient('web app');
      const accepted = ['https://app.example.com/callback', 'http://127.0.0.1:8080/cb', 'http://[::1]:9000/cb', 'http://localhost/cb?x=1', 'https://App.Example.com:443/callback/'];
      for (const uri of accepted) expect((await addUri(client.id, uri)).status).toBe(200);
      const again = await addUri(client.id, accepted[0]);
      expect(again.status).toBe(200);
      expect(again.body.redirectUris).toEqual(accepted);
      expect((await keyhold.get(`/v1/api-clients/${client.id}`, admin.token)).body.redirectUris).toEqual(accepted);
      expect((await streamOf(client.id)).filter((e) => e.type === 'RedirectUriAdded')).toHaveLength(accepted.length);

      const removed = await keyhold.request('DELETE', `/v1/api-clients/${client.id}/redirect-uris?uri=${encodeURIComponent(accepted[3])}`, { token: admin.token });
      expect(removed.status).toBe(200);
      expect(removed.body.redirectUris).toEqual(accepted.filter((uri) => uri !== accepted[3]));
      expect((await streamOf(client.id)).filter((e) => e.type === 'RedirectUriRemoved')).toMatchObject([{ data: { uri: accepted[3] } }]);
      // Exact match: a differently written URI is not the registered one.
      await keyhold.request('DELETE', `/v1/api-clients/${client.id}/redirect-uris?uri=${encodeURIComponent('https://app.example.com/callback/')}`, { token: admin.token });
      expect((await keyhold.get(`/v1/api-clients/${client.id}`, admin.token)).body.redirectUris).toContain('https://app.example.com/callback');
    });

    it.each([
      ['http for a public host', 'http://app.example.com/cb'],
      ['a fragment', 'https://app.example.com/cb#top'],
      ['a relative URL', '/cb'],
      ['user information', 'https://me@app.example.com/cb'],
      ['another scheme', 'javascript://app.example.com/%0Aalert(1)'],
      ['a loopback look-alike', 'http://localhost.example.com/cb'],
    ])('refuses %s', async (_name, uri) => {
      const client = await createClient('strict');
      expectProblem(await addUri(client.id, uri), 400, 'validation-error');
      expect((await keyhold.get(`/v1/api-clients/${client.id}`, admin.token)).body.redirectUris).toEqual([]);
    });
  });

  it('deletes a client: its secrets and tokens stop working and it is gone', async () => {
    const client = await createClient('doomed');
    await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] });
    const second = (await addSecret(client.id)).body as { clientSecret: string };
    const accessToken = accessTokenOf(await tokenFor(client.clientId, client.clientSecret));
    expect((await introspect(accessToken)).body.active).toBe(true);

    expect((await keyhold.request('DELETE', `/v1/api-clients/${client.id}`, { token: admin.token, headers: { 'keyhold-reason': 'decommissioned' } })).status).toBe(204);
    expect((await introspect(accessToken)).body).toEqual({ active: false });
    expect(await tokenFor(client.clientId, client.clientSecret)).toMatchObject({ ok: false, status: 401 });
    expect(await tokenFor(client.clientId, second.clientSecret)).toMatchObject({ ok: false, status: 401 });
    expectProblem(await keyhold.get(`/v1/api-clients/${client.id}`, admin.token), 404, 'not-found');
    expectProblem(await keyhold.get(`/v1/api-clients/${client.id}/secrets`, admin.token), 404, 'not-found');
    expectProblem(await addSecret(client.id), 404, 'not-found');
    expectProblem(await keyhold.request('DELETE', `/v1/api-clients/${client.id}`, { token: admin.token }), 404, 'not-found');
    expect((await keyhold.get('/v1/api-clients?limit=200', admin.token)).body.items.map((c: { id: string }) => c.id)).not.toContain(client.id);
    expect((await streamOf(client.id)).at(-1)).toMatchObject({ type: 'ApiClientDeleted', metadata: { reason: 'decommissioned' } });
  });

  describe('who may manage clients', () => {
    it('refuses members, and bad input', async () => {
      const client = await createClient('guarded');
      const { token: memberToken } = await keyhold.addUser(admin.token, 'member@wayne.test', 'member');
      expectProblem(await keyhold.post('/v1/api-clients', memberToken, { name: 'sneaky' }), 403, 'forbidden');
      expectProblem(await keyhold.get('/v1/api-clients', memberToken), 403, 'forbidden');
      expectProblem(await keyhold.get(`/v1/api-clients/${client.id}`, memberToken), 403, 'forbidden');
      expectProblem(await setFlows(client.id, { clientCredentials: true }, memberToken), 403, 'forbidden');

      expectProblem(await keyhold.post('/v1/api-clients', admin.token, { name: '' }), 400, 'validation-error');
      expectProblem(await keyhold.post('/v1/api-clients', admin.token, { name: 'x', clientSecret: 'mine' }), 400, 'validation-error');
      expectProblem(await keyhold.get('/v1/api-clients/not-a-uuid', admin.token), 400, 'validation-error');
      expectProblem(await keyhold.get('/v1/api-clients/00000000-0000-4000-8000-000000000000', admin.token), 404, 'not-found');
    });

    it('gives a client only roles whose every permission the caller holds', async () => {
      const client = await createClient('least privilege');
      // A service account that may manage clients but holds neither token permission.
      const account = (await keyhold.post('/v1/service-accounts', admin.token, { name: 'client manager' })).body as { clientId: string; clientSecret: string };
      for (const permission of ['clients:read', 'clients:write']) {
        expect((await keyhold.request('PUT', `/v1/service-accounts/${account.clientId}/permissions/${permission}`, { token: admin.token })).status).toBe(200);
      }
      const manager = accessTokenOf(await tokenFor(account.clientId, account.clientSecret));
      expect(manager).toMatch(/^kh_at_/);

      expectProblem(await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] }, manager), 403, 'authority-exceeded');
      expectProblem(await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['admin'] }, manager), 403, 'authority-exceeded');
      expect((await setFlows(client.id, { requirePkce: true }, manager)).status).toBe(200);
      expect((await streamOf(client.id)).filter((e) => e.type === 'ApiClientFlowsChanged')).toHaveLength(1);
      expect((await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['admin'] })).status).toBe(200);
    });

    it('keeps clients, their secrets and tokens inside their tenant', async () => {
      const client = await createClient('private');
      await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] });
      const accessToken = accessTokenOf(await tokenFor(client.clientId, client.clientSecret));
      const other = await keyhold.bootstrap('lexcorp');

      expectProblem(await keyhold.get(`/v1/api-clients/${client.id}`, other.token), 404, 'not-found');
      expectProblem(await keyhold.get(`/v1/api-clients/${client.id}/secrets`, other.token), 404, 'not-found');
      expectProblem(await keyhold.get(`/v1/api-clients/${client.id}/tokens`, other.token), 404, 'not-found');
      expectProblem(await keyhold.request('PATCH', `/v1/api-clients/${client.id}`, { token: other.token, json: { name: 'mine' } }), 404, 'not-found');
      expectProblem(await addSecret(client.id, {}, other.token), 404, 'not-found');
      expectProblem(await keyhold.request('DELETE', `/v1/api-clients/${client.id}/secrets/${client.secretId}`, { token: other.token }), 404, 'not-found');
      expectProblem(await addUri(client.id, 'https://evil.example.com/cb', other.token), 404, 'not-found');
      expectProblem(await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['admin'] }, other.token), 404, 'not-found');
      expectProblem(await keyhold.request('DELETE', `/v1/api-clients/${client.id}`, { token: other.token }), 404, 'not-found');
      expect((await keyhold.request('POST', '/oauth/introspect', { token: other.token, form: { token: accessToken } })).body).toEqual({ active: false });
      expect((await keyhold.get('/v1/api-clients?limit=200', other.token)).body.items).toEqual([]);
      expect((await keyhold.get('/v1/api-client-secrets?expiringWithinDays=3650', other.token)).body.items).toEqual([]);
      expect((await tokenFor(client.clientId, client.clientSecret)).ok).toBe(true);
    });
  });

  it('stores no client secret or access token in clear, nor logs one', async () => {
    const client = await createClient('scanned');
    await setFlows(client.id, { clientCredentials: true, clientCredentialsRoles: ['member'] });
    const second = (await addSecret(client.id)).body as { clientSecret: string };
    const accessToken = accessTokenOf(await tokenFor(client.clientId, second.clientSecret));
    await keyhold.app.get(UsageRecorder).flush();
    const stored = Buffer.concat(
      readdirSync(keyhold.dataDir, { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isFile())
        .map((entry) => readFileSync(join(entry.parentPath, entry.name))),
    );
    const logs = keyhold.logs.join('\n');
    for (const secret of [client.clientSecret, second.clientSecret, accessToken]) {
      expect(secret).toMatch(/^kh_(cs|at)_/);
      expect(stored.includes(secret.slice(6, 49))).toBe(false);
      expect(logs.includes(secret.slice(6, 49))).toBe(false);
    }
  });
});
