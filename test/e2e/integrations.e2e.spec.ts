import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { INTEGRATION_RESOURCE_NAMES } from '@keyhold/domain';
import { KafkaMessageBus, LIFECYCLE_HEADERS, LIFECYCLE_TOPIC, ReceivedMessage } from '@keyhold/messaging';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';
import { everythingStoredUnder, secretsFoundIn } from '../support/secret-scan';

const TOKEN_KINDS = {
  consumerKey: /^kh_ick_[0-9A-Za-z]{49}$/,
  consumerSecret: /^kh_ics_[0-9A-Za-z]{49}$/,
  accessToken: /^kh_iat_[0-9A-Za-z]{49}$/,
  accessTokenSecret: /^kh_ias_[0-9A-Za-z]{49}$/,
};

const password = () => `pw ${randomBytes(12).toString('base64url')} long enough`;

describe('Integrations, end to end over HTTP', () => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };
  let adminPassword: string;
  let member: { id: string; token: string };
  const seen: Record<string, string> = {};
  const remember = (label: string, value: string) => {
    seen[`${label} #${Object.keys(seen).length}`] = value;
    return value;
  };

  const setPassword = (token: string, body: unknown) => keyhold.request('PUT', '/v1/me/password', { token, json: body });
  const createIntegration = (body: Record<string, unknown>, token = admin.token) =>
    keyhold.post('/v1/integrations', token, { password: adminPassword, ...body });
  const erp = (name = `ERP ${randomUUID().slice(0, 6)}`) => ({
    name,
    email: 'ops@erp.example',
    // No callback URL: Activate shows the four secrets (with one, the OAuth 1.0a handshake runs: integration-handshake.e2e.spec.ts).
    identityLinkUrl: 'https://erp.example/keyhold/login',
    resourceAccess: 'custom',
    resources: ['users.read', 'tokens.introspect'],
  });
  const activate = async (id: string) => {
    const activated = await keyhold.post(`/v1/integrations/${id}/activate`, admin.token);
    for (const [kind, value] of Object.entries(activated.body?.tokens ?? {})) remember(kind, value as string);
    return activated;
  };

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap(`int-${randomUUID().slice(0, 8)}`);
    adminPassword = remember('admin password', password());
    expect((await setPassword(admin.token, { newPassword: adminPassword })).status).toBe(204);
    const added = await keyhold.addUser(admin.token, 'member@int.test', 'member');
    member = { id: added.added.body.id, token: added.token };
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  describe('users’ passwords', () => {
    it('lets a user set a first password, then change it only with the current one', async () => {
      // A tenant's first admin has no password until they set one (invited users set theirs on accepting).
      const { token } = await keyhold.bootstrap(`int-first-pw-${randomUUID().slice(0, 6)}`);
      const first = remember('member password', password());
      expect((await setPassword(token, { newPassword: first })).status).toBe(204);
      expectProblem(await setPassword(token, { newPassword: password() }), 400, 'validation-error');
      expectProblem(await setPassword(token, { currentPassword: 'not it at all', newPassword: password() }), 403, 'password-incorrect');
      const second = remember('member password', password());
      expect((await setPassword(token, { currentPassword: first, newPassword: second })).status).toBe(204);
      expectProblem(await setPassword(token, { currentPassword: first, newPassword: password() }), 403, 'password-incorrect');
    });

    it('refuses weak or malformed passwords, and read-only tokens', async () => {
      expectProblem(await setPassword(admin.token, { currentPassword: adminPassword, newPassword: 'short' }), 400, 'validation-error');
      expectProblem(await setPassword(admin.token, { currentPassword: adminPassword, newPassword: ' '.repeat(20) }), 400, 'validation-error');
      expectProblem(await setPassword(admin.token, { currentPassword: adminPassword, newPassword: 12345678901234 }), 400, 'validation-error');
      expectProblem(await setPassword(admin.token, { currentPassword: adminPassword }), 400, 'validation-error');
      const readOnly = (await keyhold.post('/v1/tokens', admin.token, { label: 'ro', scope: 'read' })).body.token;
      expectProblem(await setPassword(readOnly, { currentPassword: adminPassword, newPassword: password() }), 403, 'forbidden');
    });

    it('stores only a scrypt hash, in an event, and nowhere else', async () => {
      const passwordEvents = (await keyhold.events()).filter((e) => e.type === 'UserPasswordSet');
      expect(passwordEvents.length).toBeGreaterThanOrEqual(3);
      for (const event of passwordEvents) {
        const { passwordHash } = event.data as { passwordHash: string };
        expect(passwordHash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
        const readModels = readFileSync(join(keyhold.dataDir, 'read-models.sqlite'));
        expect(readModels.includes(passwordHash)).toBe(false);
        expect(readModels.includes(passwordHash.split('$').pop()!)).toBe(false);
        expect(keyhold.logs.join('\n')).not.toContain(passwordHash.split('$').pop()!);
      }
    });
  });

  describe('creating', () => {
    it('publishes the catalogue of resources an integration can be given', async () => {
      const catalogue = await keyhold.get('/v1/integrations/resources', admin.token);
      expect(catalogue.status).toBe(200);
      expect(catalogue.body.items.map((r: { name: string }) => r.name)).toEqual(INTEGRATION_RESOURCE_NAMES);
      for (const resource of catalogue.body.items) {
        expect(resource).toEqual({ name: expect.any(String), description: expect.any(String), permissions: expect.any(Array) });
      }
      expectProblem(await keyhold.get('/v1/integrations/resources', member.token), 403, 'forbidden');
    });

    it('saves an integration inactive once the admin confirms with their password', async () => {
      const created = await createIntegration(erp('ERP sync'));
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/v1/integrations/${created.body.id}`);
      expect(created.body).toMatchObject({
        name: 'ERP sync',
        email: 'ops@erp.example',
        insecure: false,
        resourceAccess: 'custom',
        resources: ['users.read', 'tokens.introspect'],
        status: 'inactive',
      });
      expect(created.text).not.toContain(adminPassword);
      const fetched = await keyhold.get(`/v1/integrations/${created.body.id}`, admin.token);
      expect(fetched.body).toMatchObject({ id: created.body.id, status: 'inactive', hints: null });
      const listed = await keyhold.get('/v1/integrations', admin.token);
      expect(listed.body.items.map((i: { id: string }) => i.id)).toContain(created.body.id);
      expectProblem(await createIntegration(erp(' erp SYNC ')), 409, 'integration-name-taken');
    });

    it('flags an integration insecure while either URL is not https', async () => {
      const http = await createIntegration({ ...erp(), callbackUrl: 'http://erp.example/callback' });
      expect(http.body.insecure).toBe(true);
      const link = await createIntegration({ ...erp(), identityLinkUrl: 'http://localhost:8080/login' });
      expect(link.body.insecure).toBe(true);
      expect((await keyhold.get(`/v1/integrations/${link.body.id}`, admin.token)).body.insecure).toBe(true);
      const none = await createIntegration({ ...erp(), callbackUrl: undefined, identityLinkUrl: undefined });
      expect(none.body).toMatchObject({ insecure: false, callbackUrl: null, identityLinkUrl: null });
    });

    it('takes access to all resources, or to a custom list of known ones', async () => {
      const all = await createIntegration({ ...erp(), resourceAccess: 'all', resources: undefined });
      expect(all.body).toMatchObject({ resourceAccess: 'all', resources: [] });
      const unknown = await createIntegration({ ...erp(), resources: ['users.read', 'orders.delete'] });
      expectProblem(unknown, 400, 'unknown-resource');
      expect(unknown.body.detail).toContain("'orders.delete'");
      expectProblem(await createIntegration({ ...erp(), resources: [] }), 400, 'validation-error');
      expectProblem(await createIntegration({ ...erp(), resourceAccess: 'all' }), 400, 'validation-error');
      expectProblem(await createIntegration({ ...erp(), resourceAccess: 'some' }), 400, 'validation-error');
      expectProblem(await createIntegration({ ...erp(), resources: 'users.read' }), 400, 'validation-error');
    });

    it.each<[string, Record<string, unknown>]>([
      ['a callback URL that is not a URL', { callbackUrl: 'not a url' }],
      ['a relative callback URL', { callbackUrl: '/callback' }],
      ['a callback URL of another scheme', { callbackUrl: 'ftp://erp.example/x' }],
      ['a script URL', { identityLinkUrl: 'javascript:alert(1)' }],
      ['a URL with credentials in it', { callbackUrl: 'https://user:pw@erp.example/x' }],
      ['an e-mail that is not one', { email: 'ops at erp' }],
      ['an e-mail with two @', { email: 'ops@@erp.example' }],
      ['no e-mail', { email: undefined }],
      ['no name', { name: undefined }],
      ['a name with a control character', { name: 'ERP\u0007' }],
      ['an unknown field', { color: 'blue' }],
    ])('refuses %s', async (_case, change) => {
      expectProblem(await createIntegration({ ...erp(), ...change }), 400, 'validation-error');
    });

    it('refuses a missing, wrong or unset password, and non-admins', async () => {
      const { password: _none, ...withoutPassword } = { ...erp(), password: undefined };
      expectProblem(await keyhold.post('/v1/integrations', admin.token, withoutPassword), 400, 'validation-error');
      const wrong = await createIntegration({ ...erp(), password: 'not my password' });
      expectProblem(wrong, 403, 'password-incorrect');
      expect(wrong.text).not.toContain('not my password');
      // An invited user sets a password on accepting; the first admin of a tenant has none until they set one.
      const second = await keyhold.bootstrap(`int-unset-${randomUUID().slice(0, 6)}`);
      const unset = await createIntegration(erp(), second.token);
      expectProblem(unset, 403, 'password-not-set');
      expect(unset.body.detail).toContain('/v1/me/password');
      expectProblem(await createIntegration(erp(), member.token), 403, 'forbidden');
    });

    it('throttles repeated wrong passwords, even a right one then', async () => {
      const right = remember('throttled password', password());
      const { token } = await keyhold.addUser(admin.token, `admin3-${randomUUID().slice(0, 6)}@int.test`, 'admin', right);
      for (let n = 0; n < 5; n += 1) expectProblem(await createIntegration({ ...erp(), password: `wrong ${n}` }, token), 403, 'password-incorrect');
      const throttled = await createIntegration({ ...erp(), password: right }, token);
      expectProblem(throttled, 429, 'rate-limited');
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      // Other users are not affected.
      expect((await createIntegration(erp())).status).toBe(201);
    });
  });

  describe('activating, using, reauthorizing, deleting', () => {
    it('activates once, showing four secrets this once; the access token works within its resources only', async () => {
      const created = await createIntegration(erp());
      const activated = await activate(created.body.id);
      expect(activated.status).toBe(200);
      expect(activated.headers.get('cache-control')).toBe('no-store');
      expect(activated.body.status).toBe('active');
      for (const [kind, format] of Object.entries(TOKEN_KINDS)) expect(activated.body.tokens[kind]).toMatch(format);
      expectProblem(await keyhold.post(`/v1/integrations/${created.body.id}/activate`, admin.token), 409, 'integration-already-active');

      const fetched = await keyhold.get(`/v1/integrations/${created.body.id}`, admin.token);
      expect(fetched.body.status).toBe('active');
      expect(fetched.body.hints.accessToken).toBe(`kh_iat_…${activated.body.tokens.accessToken.slice(-4)}`);
      expect(secretsFoundIn(fetched.text, seen)).toEqual([]);

      const token = activated.body.tokens.accessToken;
      const me = await keyhold.get('/v1/me', token);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        tenantId: admin.tenantId,
        actor: { kind: 'integration', id: created.body.id },
        credential: { kind: 'integrationAccessToken' },
        scope: 'users.read tokens.introspect',
        permissions: ['tokens:introspect', 'users:read'],
      });
      expect((await keyhold.get('/v1/users', token)).status).toBe(200);
      expectProblem(await keyhold.get('/v1/tokens?owner=all', token), 403, 'forbidden');
      expectProblem(await keyhold.get('/v1/connections', token), 403, 'forbidden');
      expectProblem(await keyhold.get('/v1/integrations', token), 403, 'forbidden');
      expectProblem(await keyhold.post('/v1/users', token, { email: 'x@int.test', role: 'admin' }), 403, 'forbidden');
      const introspected = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token } });
      expect(introspected.body).toMatchObject({ active: true, sub: created.body.id, actor_kind: 'integration', credential_kind: 'integration_access_token' });
      // Only the access token is a bearer credential; the other three are not.
      for (const kind of ['consumerKey', 'consumerSecret', 'accessTokenSecret']) {
        expectProblem(await keyhold.get('/v1/me', activated.body.tokens[kind]), 401, 'unauthenticated');
      }
    });

    it('with access to all resources, may do what every resource of the catalogue allows', async () => {
      const created = await createIntegration({ ...erp(), resourceAccess: 'all', resources: undefined });
      const { tokens } = (await activate(created.body.id)).body;
      const me = await keyhold.get('/v1/me', tokens.accessToken);
      expect(me.body.scope).toBe('all');
      expect(me.body.permissions).toEqual(expect.arrayContaining(['connections:use', 'tokens:read_all', 'tokens:revoke_all', 'users:read']));
      expect(me.body.permissions).not.toContain('users:write');
      expect((await keyhold.get('/v1/tokens?owner=all', tokens.accessToken)).status).toBe(200);
    });

    it('reauthorizes: a new access token and secret, the old ones dead at once', async () => {
      const created = await createIntegration(erp());
      expectProblem(await keyhold.post(`/v1/integrations/${created.body.id}/reauthorize`, admin.token, { password: adminPassword }), 409, 'integration-not-active');
      const first = (await activate(created.body.id)).body.tokens;
      const again = await keyhold.post(`/v1/integrations/${created.body.id}/reauthorize`, admin.token, { password: adminPassword });
      expect(again.status).toBe(200);
      expect(again.headers.get('cache-control')).toBe('no-store');
      remember('reauthorized access token', again.body.tokens.accessToken);
      remember('reauthorized access token secret', again.body.tokens.accessTokenSecret);
      expect(Object.keys(again.body.tokens).sort()).toEqual(['accessToken', 'accessTokenSecret']);
      expect(again.body.tokens.accessToken).toMatch(TOKEN_KINDS.accessToken);
      expect(again.body.tokens.accessToken).not.toBe(first.accessToken);
      expectProblem(await keyhold.get('/v1/me', first.accessToken), 401, 'unauthenticated');
      expect((await keyhold.get('/v1/me', again.body.tokens.accessToken)).status).toBe(200);
      const events = (await keyhold.events()).filter((e) => e.type === 'IntegrationReauthorized');
      expect(events.at(-1)!.data).toMatchObject({ integrationId: created.body.id, previousAccessTokenId: expect.any(String) });
    });

    it('deletes: every token revoked at once, the integration gone', async () => {
      const created = await createIntegration(erp('to delete'));
      const { tokens } = (await activate(created.body.id)).body;
      expect((await keyhold.get('/v1/me', tokens.accessToken)).status).toBe(200);
      expect((await keyhold.request('DELETE', `/v1/integrations/${created.body.id}`, { token: admin.token })).status).toBe(204);
      expectProblem(await keyhold.get('/v1/me', tokens.accessToken), 401, 'unauthenticated');
      expectProblem(await keyhold.get(`/v1/integrations/${created.body.id}`, admin.token), 410, 'integration-deleted');
      expectProblem(await keyhold.post(`/v1/integrations/${created.body.id}/activate`, admin.token), 410, 'integration-deleted');
      expectProblem(await keyhold.post(`/v1/integrations/${created.body.id}/reauthorize`, admin.token, { password: adminPassword }), 410, 'integration-deleted');
      expect((await keyhold.request('DELETE', `/v1/integrations/${created.body.id}`, { token: admin.token })).status).toBe(204);
      expect((await keyhold.get('/v1/integrations?limit=200', admin.token)).body.items.map((i: { id: string }) => i.id)).not.toContain(created.body.id);
      // The name is free again.
      expect((await createIntegration(erp('to delete'))).status).toBe(201);
      expectProblem(await keyhold.request('DELETE', `/v1/integrations/${randomUUID()}`, { token: admin.token }), 404, 'not-found');
      expectProblem(await keyhold.post(`/v1/integrations/${randomUUID()}/activate`, admin.token), 404, 'not-found');
      expectProblem(await keyhold.post('/v1/integrations/nope/activate', admin.token), 400, 'validation-error');
    });

    it('answers an ETag, and activates or deletes only at the revision the caller saw (If-Match)', async () => {
      const created = await createIntegration(erp());
      const read = await keyhold.get(`/v1/integrations/${created.body.id}`, admin.token);
      const etag = read.headers.get('etag')!;
      expect(etag).toMatch(/^"\d+"$/);
      // Any change to the tenant's integrations moves the revision: this one makes the ETag stale.
      await createIntegration(erp());
      const fresh = (await keyhold.get(`/v1/integrations/${created.body.id}`, admin.token)).headers.get('etag')!;
      expect(fresh).not.toBe(etag);

      const before = (await keyhold.events()).length;
      const stale = await keyhold.request('POST', `/v1/integrations/${created.body.id}/activate`, { token: admin.token, headers: { 'If-Match': etag } });
      expectProblem(stale, 412, 'precondition-failed');
      expect(stale.body.tokens).toBeUndefined();
      expectProblem(await keyhold.request('DELETE', `/v1/integrations/${created.body.id}`, { token: admin.token, headers: { 'If-Match': etag } }), 412, 'precondition-failed');
      expect((await keyhold.events()).length).toBe(before);
      expect((await keyhold.get(`/v1/integrations/${created.body.id}`, admin.token)).body.status).toBe('inactive');

      const activated = await keyhold.request('POST', `/v1/integrations/${created.body.id}/activate`, { token: admin.token, headers: { 'If-Match': fresh } });
      expect(activated.status).toBe(200);
      for (const [kind, value] of Object.entries(activated.body.tokens)) remember(kind, value as string);
      expect((await keyhold.get(`/v1/integrations/${created.body.id}`, admin.token)).body.status).toBe('active');
    });

    it('keeps integrations within their tenant', async () => {
      const created = await createIntegration(erp());
      const other = await keyhold.bootstrap(`other-${randomUUID().slice(0, 8)}`);
      expectProblem(await keyhold.get(`/v1/integrations/${created.body.id}`, other.token), 404, 'not-found');
      expectProblem(await keyhold.post(`/v1/integrations/${created.body.id}/activate`, other.token), 404, 'not-found');
      expectProblem(await keyhold.request('DELETE', `/v1/integrations/${created.body.id}`, { token: other.token }), 404, 'not-found');
    });
  });

  describe('tenant settings', () => {
    it('has anonymous guest access off by default, changed by admins only, with its event', async () => {
      expect((await keyhold.get('/v1/settings', admin.token)).body).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: null });
      expectProblem(await keyhold.request('PATCH', '/v1/settings', { token: member.token, json: { allowAnonymousGuestAccess: true } }), 403, 'forbidden');
      expectProblem(await keyhold.request('PATCH', '/v1/settings', { token: admin.token, json: { allowAnonymousGuestAccess: 'yes' } }), 400, 'validation-error');
      const on = await keyhold.request('PATCH', '/v1/settings', { token: admin.token, json: { allowAnonymousGuestAccess: true } });
      expect(on.body).toEqual({ allowAnonymousGuestAccess: true, clientSecretMaxLifetimeDays: null });
      expect((await keyhold.get('/v1/settings', admin.token)).body).toEqual({ allowAnonymousGuestAccess: true, clientSecretMaxLifetimeDays: null });
      await keyhold.request('PATCH', '/v1/settings', { token: admin.token, json: { allowAnonymousGuestAccess: true } });
      const changes = (await keyhold.events()).filter((e) => e.type === 'AnonymousGuestAccessChanged' && e.metadata.tenantId === admin.tenantId);
      expect(changes.map((e) => e.data)).toEqual([{ tenantId: admin.tenantId, allowed: true, changedAt: expect.any(String), changedBy: admin.userId }]);
      await keyhold.request('PATCH', '/v1/settings', { token: admin.token, json: { allowAnonymousGuestAccess: false } });
      expect((await keyhold.get('/v1/settings', admin.token)).body).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: null });
      const other = await keyhold.bootstrap(`settings-${randomUUID().slice(0, 8)}`);
      expect((await keyhold.get('/v1/settings', other.token)).body).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: null });
    });
  });

  it('keeps no integration secret or password in clear in the log, the read models, the files or the logs', async () => {
    const log = await keyhold.events();
    expect(Object.keys(seen).length).toBeGreaterThan(15);
    expect(secretsFoundIn(JSON.stringify(log), seen)).toEqual([]);
    const stored = everythingStoredUnder(keyhold.dataDir);
    expect(secretsFoundIn(stored, seen)).toEqual([]);
    expect(secretsFoundIn(keyhold.logs.join('\n'), seen)).toEqual([]);
    // The scan sees what is stored: integration names are there.
    expect(stored.includes('to delete')).toBe(true);
  });
});

describeWithServer('KAFKA_BROKERS', 'Lifecycle messages of connections and integrations on Kafka', (brokers) => {
  it('publishes their lifecycle without a secret, a ciphertext, a hash or a password', async () => {
    const keyhold = await KeyholdHarness.start(undefined, { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: brokers });
    const consumer = await KafkaMessageBus.connect({ brokers: brokers.split(','), clientId: 'scan-test', logger: pino({ level: 'silent' }) });
    const received: ReceivedMessage[] = [];
    try {
      await consumer.subscribe({
        topic: LIFECYCLE_TOPIC,
        groupId: `scan-${randomUUID()}`,
        fromBeginning: true,
        onMessage: async (message) => void received.push(message),
      });
      const admin = await keyhold.bootstrap(`scan-${randomUUID().slice(0, 8)}`);
      const secrets: Record<string, string> = {};
      const keep = (label: string, value: string) => ((secrets[label] = value), value);
      const adminPassword = keep('password', password());
      await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: adminPassword } });
      const connection = await keyhold.post('/v1/connections', admin.token, {
        name: 'Kafka scan',
        service: 'svc',
        allowedDomains: ['svc.example.com'],
        credential: { type: 'basic_auth', username: keep('username', `user-${randomUUID()}`), password: keep('basic password', password()) },
      });
      await keyhold.request('PATCH', `/v1/connections/${connection.body.id}`, { token: admin.token, json: { credential: { password: keep('new password', password()) } } });
      await keyhold.post(`/v1/connections/${connection.body.id}/access`, admin.token, { domain: 'svc.example.com' });
      await keyhold.request('DELETE', `/v1/connections/${connection.body.id}`, { token: admin.token });
      const integration = await keyhold.post('/v1/integrations', admin.token, {
        name: 'Kafka scan',
        email: 'ops@scan.example',
        identityLinkUrl: 'https://scan.example/login',
        resourceAccess: 'all',
        password: adminPassword,
      });
      const activated = await keyhold.post(`/v1/integrations/${integration.body.id}/activate`, admin.token);
      for (const [kind, value] of Object.entries(activated.body.tokens)) keep(kind, value as string);
      const again = await keyhold.post(`/v1/integrations/${integration.body.id}/reauthorize`, admin.token, { password: adminPassword });
      keep('new access token', again.body.tokens.accessToken);
      keep('new access token secret', again.body.tokens.accessTokenSecret);
      await keyhold.request('DELETE', `/v1/integrations/${integration.body.id}`, { token: admin.token });
      await keyhold.request('PATCH', '/v1/settings', { token: admin.token, json: { allowAnonymousGuestAccess: true } });

      const expected = [
        'ConnectionCreated',
        'ConnectionUpdated',
        'ConnectionCredentialAccessed',
        'ConnectionDeleted',
        'IntegrationCreated',
        'IntegrationActivated',
        'IntegrationReauthorized',
        'IntegrationDeleted',
        'AnonymousGuestAccessChanged',
        'UserPasswordSet',
      ];
      const ours = () => received.filter((m) => m.headers[LIFECYCLE_HEADERS.tenantId] === admin.tenantId);
      const deadline = Date.now() + 60_000;
      while (!expected.every((type) => ours().some((m) => m.headers[LIFECYCLE_HEADERS.eventType] === type))) {
        if (Date.now() > deadline) throw new Error(`saw only ${ours().map((m) => m.headers[LIFECYCLE_HEADERS.eventType]).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const everything = ours().map((m) => m.value + JSON.stringify(m.headers)).join('\n');
      expect(secretsFoundIn(everything, secrets)).toEqual([]);
      expect(everything).not.toMatch(/ciphertext|passwordHash|\$scrypt|secretHash|hashKeyId|"hash"|dataKeyId/);
      const changed = ours().find((m) => m.headers[LIFECYCLE_HEADERS.eventType] === 'ConnectionUpdated')!;
      expect(JSON.parse(changed.value).data).toEqual({ changedFields: 'password' });
      const accessed = ours().find((m) => m.headers[LIFECYCLE_HEADERS.eventType] === 'ConnectionCredentialAccessed')!;
      expect(JSON.parse(accessed.value).data).toEqual({ accessedBy: admin.userId, actorKind: 'user', targetDomain: 'svc.example.com' });
    } finally {
      await consumer.close();
      await keyhold.stop();
    }
  }, 120_000);
});

describe('Integrations across a restart', () => {
  it('rebuilds the access tokens from the log: the reauthorized one works, the old one not; passwords still confirm', async () => {
    const first = await KeyholdHarness.start();
    const admin = await first.bootstrap('int-restart');
    const adminPassword = password();
    await first.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: adminPassword } });
    const created = await first.post('/v1/integrations', admin.token, { name: 'R', email: 'r@r.example', resourceAccess: 'all', password: adminPassword });
    const old = (await first.post(`/v1/integrations/${created.body.id}/activate`, admin.token)).body.tokens.accessToken;
    const current = (await first.post(`/v1/integrations/${created.body.id}/reauthorize`, admin.token, { password: adminPassword })).body.tokens.accessToken;
    await first.stop();

    const second = await KeyholdHarness.start(first.dataDir);
    try {
      expect((await second.get('/v1/me', current)).body.actor).toEqual({ kind: 'integration', id: created.body.id });
      expectProblem(await second.get('/v1/me', old), 401, 'unauthenticated');
      const again = await second.post('/v1/integrations', admin.token, { name: 'S', email: 's@s.example', resourceAccess: 'all', password: adminPassword });
      expect(again.status).toBe(201);
      expectProblem(await second.post('/v1/integrations', admin.token, { name: 'T', email: 't@t.example', resourceAccess: 'all', password: 'wrong one' }), 403, 'password-incorrect');
    } finally {
      await second.stop();
    }
  });
});

describeWithServer('MONGO_URL', 'Integrations with MongoDB read models', (mongoUrl) => {
  it('lists, reads and hides deleted integrations the same way', async () => {
    const keyhold = await KeyholdHarness.start(undefined, { READ_MODELS: 'mongo', MONGO_URL: mongoUrl, MONGO_DATABASE: `keyhold_int_${randomUUID().replace(/-/g, '').slice(0, 12)}` });
    try {
      const admin = await keyhold.bootstrap('int-mongo');
      const adminPassword = password();
      await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: adminPassword } });
      const make = (name: string) => keyhold.post('/v1/integrations', admin.token, { name, email: 'm@m.example', resourceAccess: 'custom', resources: ['users.read'], password: adminPassword });
      const [kept, gone] = [await make('kept'), await make('gone')];
      await keyhold.post(`/v1/integrations/${kept.body.id}/activate`, admin.token);
      await keyhold.request('DELETE', `/v1/integrations/${gone.body.id}`, { token: admin.token });
      const listed = await keyhold.get('/v1/integrations', admin.token);
      expect(listed.body.items.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([[kept.body.id, 'active']]);
      expectProblem(await keyhold.get(`/v1/integrations/${gone.body.id}`, admin.token), 410, 'integration-deleted');
      await keyhold.request('PATCH', '/v1/settings', { token: admin.token, json: { allowAnonymousGuestAccess: true } });
      expect((await keyhold.get('/v1/settings', admin.token)).body).toEqual({ allowAnonymousGuestAccess: true, clientSecretMaxLifetimeDays: null });
    } finally {
      await keyhold.stop();
    }
  });
});
