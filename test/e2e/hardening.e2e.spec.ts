import { OPERATOR } from '@keyhold/domain';
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandBus } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { loadConfig } from '@keyhold/platform';
import { openOperatorContext } from '../../apps/keyhold/src/cli/operator-context';
import { CommandsModule } from '../../apps/api/src/commands.module';
import { CreateTenantCommand } from '../../apps/api/src/users/tenancy.commands';
import { SecretExpiryJob } from '../../apps/worker/src/secret-expiry.job';
import { expectProblem, HttpResult, KeyholdHarness } from '../support/keyhold-harness';
import { oauthClient } from '../support/oauth-client';

const DAY_MS = 86_400_000;
const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A request with headers exactly as given, repeated names included: fetch would merge them into one. */
const rawRequest = (url: string, method: string, headers: Record<string, string | string[]>, body?: string) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: any }>((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });

describe('Hardening: bad input, OAuth parameters, throttles, credentials that die with their secret', () => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };

  beforeAll(async () => {
    // The loopback is a trusted proxy here, so that tests can speak for several client addresses.
    keyhold = await KeyholdHarness.start(undefined, { TRUSTED_PROXIES: '127.0.0.1' });
    admin = await keyhold.bootstrap('hardened');
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  const createAccount = async (name: string, permissions: string[] = []) => {
    const created = await keyhold.post('/v1/service-accounts', admin.token, { name });
    expect(created.status).toBe(201);
    for (const permission of permissions) {
      expect((await keyhold.request('PUT', `/v1/service-accounts/${created.body.id}/permissions/${permission}`, { token: admin.token })).status).toBe(200);
    }
    return created.body as { id: string; clientId: string; clientSecret: string };
  };
  const tokenRequest = (form: Record<string, string>, headers: Record<string, string> = {}) => keyhold.request('POST', '/oauth/token', { form, headers });
  const introspect = (token: string, extra: Record<string, string> = {}) =>
    keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token, ...extra } });

  describe('instants the validator accepts but Date cannot read', () => {
    const unreadable = ['2027-W01-1', '20270630T000000Z', '2027-183'];

    it.each(unreadable)('answers 400, not 500, on each of the six endpoints that take an instant: %s', async (instant) => {
      const account = await createAccount(`sunset ${instant}`);
      const q = encodeURIComponent(instant);
      const answers: Array<[string, HttpResult]> = [
        ['POST /v1/tokens', await keyhold.post('/v1/tokens', admin.token, { label: `expiring ${instant}`, scope: 'read', expiresAt: instant })],
        ['POST /v1/service-accounts', await keyhold.post('/v1/service-accounts', admin.token, { name: `sunset at ${instant}`, sunsetAt: instant })],
        ['PUT sunset', await keyhold.request('PUT', `/v1/service-accounts/${account.id}/sunset`, { token: admin.token, json: { sunsetAt: instant } })],
        ['GET /v1/history', await keyhold.get(`/v1/history?from=${q}`, admin.token)],
        ['GET /v1/history/export', await keyhold.get(`/v1/history/export?to=${q}`, admin.token)],
        ['GET /v1/history/state', await keyhold.get(`/v1/history/state?kind=service_account&id=${account.id}&at=${q}`, admin.token)],
      ];
      for (const [endpoint, answer] of answers) {
        expect([endpoint, answer.status]).toEqual([endpoint, 400]);
        expectProblem(answer, 400, 'validation-error');
      }
      // The extended forms still work.
      expect((await keyhold.get(`/v1/history?from=${encodeURIComponent('2026-01-01T00:00:00Z')}`, admin.token)).status).toBe(200);
    });
  });

  describe('deeply nested JSON', () => {
    it('refuses a body nested 1,500 deep with 400 before validation, and still validates a shallow one', async () => {
      const deep = '{"label":'.repeat(1500) + '"x"' + '}'.repeat(1500);
      const answer = await keyhold.request('POST', '/v1/tokens', { token: admin.token, body: deep, headers: { 'content-type': 'application/json' } });
      expectProblem(answer, 400, 'malformed-request');
      expect(answer.body.detail).toMatch(/deeper than 32/);
      const arrays = await keyhold.request('POST', '/v1/tokens', {
        token: admin.token,
        body: `{"label":"a","scope":"read","x":${'['.repeat(1500)}${']'.repeat(1500)}}`,
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(arrays, 400, 'malformed-request');
      // Within the limit, the body reaches validation as before.
      expectProblem(await keyhold.post('/v1/tokens', admin.token, { label: { a: { b: { c: 'd' } } }, scope: 'read' }), 400, 'validation-error');
      // The service is still up.
      expect((await keyhold.get('/v1/me', admin.token)).status).toBe(200);
    });
  });

  describe('names and labels', () => {
    it.each([
      ['a zero-width space', 'dup\u200b'],
      ['a right-to-left override', 'invoice\u202Egpj.exe'],
      ['a bidi isolate', '\u2066admin\u2069'],
      ['a zero-width no-break space', 'd\ufeffup'],
      ['a line separator', 'two\u2028lines'],
    ])('refuses %s in a label, a service-account name and an API-client name', async (_what, text) => {
      expectProblem(await keyhold.post('/v1/tokens', admin.token, { label: text, scope: 'read' }), 400, 'validation-error');
      expectProblem(await keyhold.post('/v1/service-accounts', admin.token, { name: text }), 400, 'validation-error');
      expectProblem(await keyhold.post('/v1/api-clients', admin.token, { name: text }), 400, 'validation-error');
    });

    it('normalises with NFKC before comparing: a fullwidth twin of a label is the same label', async () => {
      const first = await keyhold.post('/v1/tokens', admin.token, { label: 'dup', scope: 'read' });
      expect(first.status).toBe(201);
      expectProblem(await keyhold.post('/v1/tokens', admin.token, { label: 'ＤＵＰ', scope: 'read' }), 409, 'label-taken');
      expectProblem(await keyhold.post('/v1/tokens', admin.token, { label: ' Dup ', scope: 'read' }), 409, 'label-taken');
      // Stored as its NFKC form: the ligature is two letters.
      const ligature = await keyhold.post('/v1/tokens', admin.token, { label: 'ﬁle sync', scope: 'read' });
      expect(ligature.body.label).toBe('file sync');
      // Scripts that need no format character still work.
      expect((await keyhold.post('/v1/tokens', admin.token, { label: 'Données – 東京', scope: 'read' })).status).toBe(201);
    });
  });

  describe('the Authorization header', () => {
    it('refuses two Authorization headers with 400, on the REST API and on the OAuth endpoints', async () => {
      const rest = await rawRequest(`${keyhold.url}/v1/me`, 'GET', { authorization: [`Bearer ${admin.token}`, 'Bearer kh_pat_other'] });
      expect(rest.status).toBe(400);
      expect(rest.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(rest.body).toMatchObject({ type: 'https://keyhold.dev/problems/malformed-request' });

      const account = await createAccount('two headers');
      const oauth = await rawRequest(
        `${keyhold.url}/oauth/token`,
        'POST',
        { authorization: [basic(account.clientId, account.clientSecret), basic(account.clientId, 'other')], 'content-type': 'application/x-www-form-urlencoded' },
        'grant_type=client_credentials',
      );
      expect(oauth.status).toBe(400);
      expect(oauth.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
      // One header is fine.
      expect((await keyhold.get('/v1/me', admin.token)).status).toBe(200);
    });
  });

  describe('readiness', () => {
    it('tells anyone the status only, an operator (settings:read) the detail', async () => {
      const anonymous = await keyhold.get('/health/ready');
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ status: 'ready' });

      const operator = await keyhold.get('/health/ready', admin.token);
      expect(operator.status).toBe(200);
      expect(operator.body).toMatchObject({ status: 'ready', checks: { eventStore: { status: 'up' } }, head: expect.any(String) });
      expect(operator.body.projections.length).toBeGreaterThan(0);

      const member = await keyhold.addUser(admin.token, `member-${randomUUID()}@hardened.test`, 'member');
      expectProblem(await keyhold.get('/health/ready', member.token), 403, 'forbidden');
      expectProblem(await keyhold.get('/health/ready', 'kh_pat_' + 'x'.repeat(49)), 401, 'unauthenticated');
    });
  });

  describe('OAuth parameters (RFC 6749 §3.2, RFC 7009 §2.1)', () => {
    it('ignores unknown parameters and treats empty ones as omitted', async () => {
      const account = await createAccount('lenient', ['tokens:introspect']);
      const auth = { authorization: basic(account.clientId, account.clientSecret) };
      const withResource = await tokenRequest({ grant_type: 'client_credentials', resource: 'https://api.example.com/', foo: 'bar' }, auth);
      expect(withResource.status).toBe(200);
      expect(withResource.body).toMatchObject({ token_type: 'Bearer', scope: 'tokens:introspect' });
      const emptyScope = await tokenRequest({ grant_type: 'client_credentials', scope: '' }, auth);
      expect(emptyScope.status).toBe(200);
      expect(emptyScope.body.scope).toBe('tokens:introspect');
      // Empty client_id and client_secret beside Basic are omitted, not a second method.
      expect((await tokenRequest({ grant_type: 'client_credentials', client_id: '', client_secret: '' }, auth)).status).toBe(200);
      // Known parameters are still validated, and an empty grant_type is a missing one.
      expect((await tokenRequest({ grant_type: 'client_credentials', scope: 'a  b' }, auth)).body.error).toBe('invalid_request');
      expect((await tokenRequest({ grant_type: '' }, auth)).body.error).toBe('invalid_request');
      // The REST API still refuses unknown fields.
      expectProblem(await keyhold.post('/v1/tokens', admin.token, { label: 'strict', scope: 'read', foo: 'bar' }), 400, 'validation-error');
    });

    it('revokes and introspects whatever the token_type_hint says, unknown hints included', async () => {
      const account = await createAccount('hinted', ['tokens:introspect']);
      const auth = { authorization: basic(account.clientId, account.clientSecret) };
      const issued = (await tokenRequest({ grant_type: 'client_credentials' }, auth)).body.access_token as string;
      expect((await introspect(issued, { token_type_hint: 'urn:example:unknown' })).body.active).toBe(true);
      expect((await introspect(issued, { token_type_hint: 'refresh_token' })).body.active).toBe(true);
      const revoked = await keyhold.request('POST', '/oauth/revoke', { form: { token: issued, token_type_hint: 'urn:example:unknown', extra: 'x' }, headers: auth });
      expect(revoked.status).toBe(200);
      expect((await introspect(issued)).body.active).toBe(false);
      const other = (await tokenRequest({ grant_type: 'client_credentials' }, auth)).body.access_token as string;
      expect((await keyhold.request('POST', '/oauth/revoke', { form: { token: other, token_type_hint: 'refresh_token' }, headers: auth })).status).toBe(200);
      expect((await introspect(other)).body.active).toBe(false);
    });

    it('sends WWW-Authenticate with every 401 of the token and revocation endpoints', async () => {
      const account = await createAccount('challenged');
      const answers = [
        await tokenRequest({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: 'kh_cs_' + 'x'.repeat(49) }),
        await tokenRequest({ grant_type: 'client_credentials' }),
        await tokenRequest({ grant_type: 'client_credentials', client_id: randomUUID(), client_secret: account.clientSecret }),
        await keyhold.request('POST', '/oauth/revoke', { form: { token: 'kh_at_x', client_id: account.clientId, client_secret: 'nope' } }),
        await keyhold.request('POST', '/oauth/revoke', { form: { token: 'kh_at_x' } }),
        await tokenRequest({ grant_type: 'client_credentials' }, { authorization: 'Basic !!!' }),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.body.error).toBe('invalid_client');
        expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm="keyhold"/);
      }
    });
  });

  describe('the issuer', () => {
    it('never comes from the Host header', async () => {
      const metadata = await rawRequest(`${keyhold.url}/.well-known/oauth-authorization-server`, 'GET', { host: 'evil.example' });
      expect(metadata.body.issuer).toBe(keyhold.url);
      expect(metadata.body.token_endpoint).toBe(`${keyhold.url}/oauth/token`);
      const forwarded = await rawRequest(`${keyhold.url}/.well-known/oauth-authorization-server`, 'GET', { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
      expect(forwarded.body.issuer).toBe(keyhold.url);
    });
  });

  describe('client authentication throttle', () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const attempt = (clientId: string, secret: string, address: string) =>
      tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }, from(address));

    it('delays one (client, source) pair after repeated failures, and no one else', async () => {
      const target = await createAccount('guessed at');
      const bystander = await createAccount('bystander');
      for (let n = 0; n < 10; n += 1) {
        const failed = await attempt(target.clientId, `kh_cs_${'g'.repeat(48)}${n}`, '203.0.113.7');
        expect([401, 429]).toContain(failed.status);
      }
      const delayed = await attempt(target.clientId, target.clientSecret, '203.0.113.7');
      expect(delayed.status).toBe(429);
      expect(delayed.body.error).toBe('invalid_client');
      expect(Number(delayed.headers.get('retry-after'))).toBeGreaterThan(0);
      // The same client from elsewhere, and another client from the guesser's address, go through.
      expect((await attempt(target.clientId, target.clientSecret, '198.51.100.4')).status).toBe(200);
      expect((await attempt(bystander.clientId, bystander.clientSecret, '203.0.113.7')).status).toBe(200);
    });

    it('does not let failures against many clients from one address lock out the clients of every tenant', async () => {
      const other = await keyhold.bootstrap(`other-${randomUUID().slice(0, 8)}`);
      const created = await keyhold.post('/v1/service-accounts', other.token, { name: 'far away' });
      for (let n = 0; n < 40; n += 1) {
        expect((await attempt(randomUUID(), `kh_cs_${'s'.repeat(49)}`, '192.0.2.99')).status).toBe(401);
      }
      expect((await attempt(created.body.clientId, created.body.clientSecret, '192.0.2.99')).status).toBe(200);
    });
  });

  describe('current-password guesses', () => {
    it('lets at most five of 20 parallel wrong guesses reach the password check; the rest get 429 with Retry-After', async () => {
      // The invited user sets the password when accepting the invitation.
      const password = `pw ${randomBytes(12).toString('base64url')} long enough`;
      const { token } = await keyhold.addUser(admin.token, `guessed-${randomUUID()}@hardened.test`, 'member', password);
      const guesses = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          keyhold.request('PUT', '/v1/me/password', { token, json: { currentPassword: `wrong guess number ${n}`, newPassword: `new password number ${n}!` } }),
        ),
      );
      const checked = guesses.filter((g) => g.status === 403);
      const limited = guesses.filter((g) => g.status === 429);
      expect(checked.length).toBeLessThanOrEqual(5);
      expect(checked.length + limited.length).toBe(20);
      for (const answer of checked) expectProblem(answer, 403, 'password-incorrect');
      for (const answer of limited) {
        expectProblem(answer, 429, 'rate-limited');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // Even the right password waits now.
      expect((await keyhold.request('PUT', '/v1/me/password', { token, json: { currentPassword: password, newPassword: `${password}, changed` } })).status).toBe(429);
    });
  });

  describe('access tokens of an API client', () => {
    const createClient = async (name: string) => {
      const created = await keyhold.post('/v1/api-clients', admin.token, { name });
      expect(created.status).toBe(201);
      const flows = { requirePkce: false, refreshTokens: false, password: false, clientCredentials: true, clientCredentialsRoles: ['member'] };
      expect((await keyhold.request('PUT', `/v1/api-clients/${created.body.id}/flows`, { token: admin.token, json: flows })).status).toBe(200);
      return created.body as { id: string; clientId: string; clientSecret: string; secretId: string };
    };
    const accessToken = async (clientId: string, secret: string) => {
      const outcome = await oauthClient({ issuer: keyhold.url, clientId, clientSecret: secret, method: 'basic', action: 'token' });
      expect(outcome.ok).toBe(true);
      return outcome.ok ? outcome.tokens!.access_token : '';
    };

    it('die with the secret that minted them when it is removed', async () => {
      const client = await createClient('removed secret');
      const second = (await keyhold.post(`/v1/api-clients/${client.id}/secrets`, admin.token, { lifetimeDays: 30 })).body as { secretId: string; clientSecret: string };
      const fromFirst = await accessToken(client.clientId, client.clientSecret);
      const fromSecond = await accessToken(client.clientId, second.clientSecret);
      expect((await keyhold.get('/v1/me', fromFirst)).status).toBe(200);

      expect((await keyhold.request('DELETE', `/v1/api-clients/${client.id}/secrets/${client.secretId}`, { token: admin.token })).status).toBe(204);
      expectProblem(await keyhold.get('/v1/me', fromFirst), 401, 'unauthenticated');
      expect((await introspect(fromFirst)).body).toEqual({ active: false });
      expect((await keyhold.get('/v1/me', fromSecond)).status).toBe(200);
      expect((await introspect(fromSecond)).body.active).toBe(true);
    });

    it('die with the secret that minted them when it expires', async () => {
      const client = await createClient('expiring secret');
      const short = (await keyhold.post(`/v1/api-clients/${client.id}/secrets`, admin.token, { lifetimeDays: 1 })).body as { secretId: string; clientSecret: string };
      const fromShort = await accessToken(client.clientId, short.clientSecret);
      const fromLong = await accessToken(client.clientId, client.clientSecret);
      expect((await introspect(fromShort)).body.active).toBe(true);
      expect(await keyhold.app.get(SecretExpiryJob).expireDue(new Date(Date.now() + 2 * DAY_MS))).toBeGreaterThanOrEqual(1);
      expect((await introspect(fromShort)).body).toEqual({ active: false });
      expect((await introspect(fromLong)).body.active).toBe(true);
    });
  });
});

describe('Hardening: a node of its own', () => {
  it('throttles by the socket address when no proxy is trusted: X-Forwarded-For changes nothing', async () => {
    const keyhold = await KeyholdHarness.start();
    try {
      const admin = await keyhold.bootstrap('untrusting');
      const account = (await keyhold.post('/v1/service-accounts', admin.token, { name: 'target' })).body as { clientId: string; clientSecret: string };
      const attempt = (secret: string, address: string) =>
        keyhold.request('POST', '/oauth/token', {
          form: { grant_type: 'client_credentials', client_id: account.clientId, client_secret: secret },
          headers: { 'x-forwarded-for': address },
        });
      for (let n = 0; n < 10; n += 1) await attempt(`kh_cs_${'g'.repeat(48)}${n}`, `203.0.113.${n}`);
      expect((await attempt(account.clientSecret, '198.51.100.1')).status).toBe(429);
    } finally {
      await keyhold.stop();
    }
  });

  it('creates DATA_DIR 0700 and its files 0600', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'keyhold-perms-')), 'data');
    const keyhold = await KeyholdHarness.start(dataDir);
    try {
      await keyhold.bootstrap('private');
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const files = readdirSync(dataDir, { recursive: true, withFileTypes: true });
      expect(files.filter((f) => f.isFile()).map((f) => f.name)).toEqual(expect.arrayContaining(['events.sqlite', 'read-models.sqlite', 'keys.sqlite', 'events.sqlite-wal']));
      for (const entry of files) {
        const path = join(entry.parentPath, entry.name);
        expect([path, statSync(path).mode & 0o777]).toEqual([path, entry.isDirectory() ? 0o700 : 0o600]);
      }
    } finally {
      await keyhold.stop();
    }
    // A file left with wider rights (by an older version) is narrowed at the next start.
    chmodSync(join(dataDir, 'events.sqlite'), 0o644);
    const restarted = await KeyholdHarness.start(dataDir);
    await restarted.stop();
    expect(statSync(join(dataDir, 'events.sqlite')).mode & 0o777).toBe(0o600);
  });

  it('rotates TOKEN_HASH_KEY: tokens issued under the old key verify, new ones hash under the new key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-rotation-'));
    const oldKey = randomBytes(32).toString('base64url');
    const newKey = randomBytes(32).toString('base64url');
    const before = await KeyholdHarness.start(dataDir, { TOKEN_HASH_KEY: oldKey, TOKEN_HASH_KEY_ID: 'k1' });
    const admin = await before.bootstrap('rotating');
    await before.stop();

    const rotated = await KeyholdHarness.start(dataDir, { TOKEN_HASH_KEY: newKey, TOKEN_HASH_KEY_ID: 'k2', TOKEN_HASH_KEYS_PREVIOUS: `k1:${oldKey}` });
    let fresh: string;
    try {
      expect((await rotated.get('/v1/me', admin.token)).status).toBe(200);
      const issued = await rotated.post('/v1/tokens', admin.token, { label: 'after rotation', scope: 'read' });
      expect(issued.status).toBe(201);
      fresh = issued.body.token;
      expect((await rotated.get('/v1/me', fresh)).status).toBe(200);
      const keyIds = (await rotated.events()).filter((e) => e.type === 'TokenIssued').map((e) => (e.data as { hashKeyId: string }).hashKeyId);
      expect(keyIds).toEqual(['k1', 'k2']);
    } finally {
      await rotated.stop();
    }

    // Once the old key is dropped, what was hashed under it stops verifying; the rest goes on.
    const after = await KeyholdHarness.start(dataDir, { TOKEN_HASH_KEY: newKey, TOKEN_HASH_KEY_ID: 'k2' });
    try {
      expectProblem(await after.get('/v1/me', admin.token), 401, 'unauthenticated');
      expect((await after.get('/v1/me', fresh)).status).toBe(200);
    } finally {
      await after.stop();
    }
  });

  it('never answers a revocation as enforced while this node does not enforce it', async () => {
    const keyhold = await KeyholdHarness.start();
    try {
      const admin = await keyhold.bootstrap('stalled');
      const doomed = await keyhold.post('/v1/tokens', admin.token, { label: 'doomed', scope: 'read' });
      const account = (await keyhold.post('/v1/service-accounts', admin.token, { name: 'revoker' })).body as { clientId: string; clientSecret: string };
      const auth = { authorization: basic(account.clientId, account.clientSecret) };
      const access = (await keyhold.request('POST', '/oauth/token', { form: { grant_type: 'client_credentials' }, headers: auth })).body.access_token as string;
      const apiClient = (await keyhold.post('/v1/api-clients', admin.token, { name: 'stalled client' })).body as { id: string; secretId: string };
      const doomedAccount = (await keyhold.post('/v1/service-accounts', admin.token, { name: 'doomed account' })).body as { id: string };

      // An event the credential index cannot apply stalls it (it retries with back-off): nothing after it is enforced.
      const metadata = {
        eventId: randomUUID(),
        tenantId: admin.tenantId,
        actorId: 'system:test',
        correlationId: 'test',
        causationId: 'test',
        occurredAt: new Date().toISOString(),
        schemaVersion: 1,
      };
      await keyhold.app
        .get<symbol, EventStore>(EVENT_STORE)
        .append(`accessToken-${randomUUID()}`, [{ type: 'AccessTokenIssued', data: { tokenId: randomUUID() }, metadata }], 'no_stream');

      const revoked = await keyhold.post(`/v1/tokens/${doomed.body.id}/revoke`, admin.token, {});
      expectProblem(revoked, 503, 'revocation-pending');
      expect(revoked.headers.get('retry-after')).toBe('1');
      // The revocation itself stands: it is in the log, and nothing is lost by answering 503.
      expect((await keyhold.events()).filter((e) => e.type === 'TokenRevoked').map((e) => (e.data as { tokenId: string }).tokenId)).toEqual([doomed.body.id]);
      // Repeating it is safe, and says the same while the node stays behind.
      expectProblem(await keyhold.post(`/v1/tokens/${doomed.body.id}/revoke`, admin.token, {}), 503, 'revocation-pending');

      const oauthRevoke = await keyhold.request('POST', '/oauth/revoke', { form: { token: access }, headers: auth });
      expect(oauthRevoke.status).toBe(503);
      expect(oauthRevoke.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
      expect(oauthRevoke.headers.get('retry-after')).toBe('1');

      // A change that ends nothing is answered as before.
      expect((await keyhold.request('PATCH', `/v1/api-clients/${apiClient.id}`, { token: admin.token, json: { name: 'renamed' } })).status).toBe(200);
      // Removing a client secret, deleting an API client or a service account end credentials too.
      expectProblem(await keyhold.request('DELETE', `/v1/api-clients/${apiClient.id}/secrets/${apiClient.secretId}`, { token: admin.token }), 503, 'revocation-pending');
      expectProblem(await keyhold.request('DELETE', `/v1/api-clients/${apiClient.id}`, { token: admin.token }), 503, 'revocation-pending');
      expectProblem(await keyhold.request('DELETE', `/v1/service-accounts/${doomedAccount.id}`, { token: admin.token }), 503, 'revocation-pending');
    } finally {
      await keyhold.stop();
    }
  }, 120_000);
});

describe('Hardening: the bootstrap CLI beside a running node', () => {
  const ROOT = join(__dirname, '..', '..');
  const CLI = join(ROOT, 'dist', 'apps', 'keyhold', 'src', 'cli', 'cli.js');
  beforeAll(() => {
    if (!existsSync(CLI)) execFileSync('npx', ['nest', 'build', 'keyhold'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  it('a token the CLI printed works on the very first request', async () => {
    const keyhold = await KeyholdHarness.start();
    try {
      for (const tenant of ['first', 'second', 'third']) {
        const run = spawnSync(process.execPath, [CLI, 'bootstrap', '--tenant', tenant, '--admin', `root@${tenant}.test`], {
          env: { ...process.env, DATA_DIR: keyhold.dataDir },
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(run.status).toBe(0);
        const { token } = JSON.parse(run.stdout.trim().split('\n').pop()!);
        expect((await keyhold.get('/v1/me', token)).status).toBe(200);
      }
      // The tenant's name is a name like the others: no invisible characters.
      const hidden = spawnSync(process.execPath, [CLI, 'bootstrap', '--tenant', 'hidden', '--admin', 'root@hidden.test', '--name', 'Acme\u202E'], {
        env: { ...process.env, DATA_DIR: keyhold.dataDir },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(hidden.status).toBe(2);
      expect(hidden.stderr).toContain('name must not contain control or invisible formatting characters');
      // Unknown tokens are still refused, at once.
      expectProblem(await keyhold.get('/v1/me', 'kh_pat_' + 'z'.repeat(49)), 401, 'unauthenticated');
    } finally {
      await keyhold.stop();
    }
  }, 120_000);

  it('the same with no slack: bootstrapped by the CLI\'s own code in this process, asked for within a millisecond', async () => {
    // The operator context opens its own event store on the node's data, as the CLI does: the
    // node hears of the append only by polling, so without a catch-up on a miss most of these fail.
    const keyhold = await KeyholdHarness.start();
    const operator = await openOperatorContext(loadConfig({ DATA_DIR: keyhold.dataDir, LOG_LEVEL: 'silent' }), [CommandsModule]);
    try {
      for (let n = 0; n < 5; n += 1) {
        const context = { actorId: 'system:cli', correlationId: randomUUID(), causationId: randomUUID(), caller: OPERATOR };
        const created = await operator.get(CommandBus).execute(new CreateTenantCommand({ slug: `beside-${n}`, name: `beside ${n}`, adminEmail: `root@beside-${n}.test`, context }));
        expect((await keyhold.get('/v1/me', created.initialToken.secret!)).status).toBe(200);
      }
    } finally {
      await operator.close();
      await keyhold.stop();
    }
  }, 60_000);
});
