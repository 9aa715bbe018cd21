import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectProblem, HttpResult, KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';
import { secretsFoundIn } from '../support/secret-scan';

/** Hashes, key ids, ciphertexts, IVs and tags the events carry: none may reach a history response. */
const STORED_SECRET_KEY = /hash|ciphertext|keyid|^iv$|^tag$/i;
const storedSecretMaterial = (value: unknown, key = ''): string[] => {
  if (typeof value === 'string') return STORED_SECRET_KEY.test(key) && value.length >= 16 ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((item) => storedSecretMaterial(item, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([name, item]) => storedSecretMaterial(item, name));
  return [];
};

const instant = async () => {
  // Events are stamped in milliseconds: a pause either side makes "before" and "after" unambiguous.
  await sleep(5);
  const now = new Date().toISOString();
  await sleep(5);
  return now;
};

/** The audit history over HTTP, on whichever read-model adapter `env` picks. */
const describeHistory = (env: () => Record<string, string>) => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };
  let other: { tenantId: string; userId: string; token: string };
  let auditor: string;
  let member: { id: string; token: string };
  const issued: Record<string, string> = {};
  const responses: HttpResult[] = [];
  const keep = (label: string, secret: string) => {
    issued[`${label} #${Object.keys(issued).length}`] = secret;
    return secret;
  };
  const get = async (path: string, token = admin.token) => {
    const result = await keyhold.get(path, token);
    responses.push(result);
    return result;
  };
  const ids = { token: '', revokedAt: '', beforeRevocation: '', account: '', accountGranted: '', client: '', connection: '', integration: '' };
  let scenarioStart = '';
  let scenarioEnd = '';

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(undefined, env());
    admin = await keyhold.bootstrap(`hist-${randomUUID().slice(0, 8)}`);
    other = await keyhold.bootstrap(`hist-other-${randomUUID().slice(0, 8)}`);
    keep('admin token', admin.token);
    keep('other admin token', other.token);
    auditor = keep('auditor token', (await keyhold.addUser(admin.token, 'auditor@hist.test', 'auditor')).token);
    const added = await keyhold.addUser(admin.token, 'member@hist.test', 'member');
    member = { id: added.added.body.id, token: keep('member token', added.token) };
    const password = keep('admin password', `pw-${randomUUID()}`);
    expect((await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: password } })).status).toBe(204);
    scenarioStart = await instant();

    // A personal token: issued, then revoked with a reason; a second one stays active.
    const token = await keyhold.post('/v1/tokens', admin.token, { label: 'ci laptop', scope: 'read' });
    ids.token = token.body.id;
    keep('personal token', token.body.token);
    keep('second personal token', (await keyhold.post('/v1/tokens', admin.token, { label: 'desktop', scope: 'read' })).body.token);
    ids.beforeRevocation = await instant();
    const revoked = await keyhold.request('POST', `/v1/tokens/${ids.token}/revoke`, { token: admin.token, json: {}, headers: { 'keyhold-reason': 'laptop stolen' } });
    expect(revoked.status).toBe(200);
    ids.revokedAt = revoked.body.revokedAt;
    keep('member personal token', (await keyhold.post('/v1/tokens', member.token, { label: 'mine', scope: 'read' })).body.token);

    // A service account: created, granted a permission, its secret reset, then deleted.
    const account = await keyhold.post('/v1/service-accounts', admin.token, { name: 'nightly export' });
    ids.account = account.body.id;
    keep('service account secret', account.body.clientSecret);
    expect((await keyhold.request('PUT', `/v1/service-accounts/${ids.account}/permissions/tokens:read`, { token: admin.token })).status).toBeLessThan(300);
    ids.accountGranted = await instant();
    keep('reset service account secret', (await keyhold.post(`/v1/service-accounts/${ids.account}/reset-secret`, admin.token)).body.clientSecret);

    // An API client with a second secret and a redirect URI.
    const client = await keyhold.post('/v1/api-clients', admin.token, { name: 'portal' });
    ids.client = client.body.id;
    keep('api client secret', client.body.clientSecret);
    keep('second api client secret', (await keyhold.post(`/v1/api-clients/${ids.client}/secrets`, admin.token, {})).body.clientSecret);
    expect((await keyhold.post(`/v1/api-clients/${ids.client}/redirect-uris`, admin.token, { uri: 'https://portal.example/cb' })).status).toBeLessThan(300);

    // A connection whose key is replaced.
    const connection = await keyhold.post('/v1/connections', admin.token, {
      name: 'Slack alerts',
      service: 'slack',
      allowedDomains: ['slack.com'],
      credential: { type: 'api_key', headerName: 'X-Api-Key', apiKey: keep('connection key', `sk-${randomUUID()}`) },
    });
    ids.connection = connection.body.id;
    const patched = await keyhold.request('PATCH', `/v1/connections/${ids.connection}`, { token: admin.token, json: { credential: { apiKey: keep('new connection key', `sk-${randomUUID()}`) } } });
    expect(patched.status).toBe(200);

    // An integration, activated and reauthorized.
    const integration = await keyhold.post('/v1/integrations', admin.token, {
      password,
      name: 'ERP sync',
      email: 'ops@erp.example',
      // No callback URL: activation shows the four secrets (with one, the OAuth 1.0a handshake runs; issue 17).
      identityLinkUrl: 'https://erp.example/login',
      resourceAccess: 'all',
      resources: [],
    });
    expect(integration.status).toBe(201);
    ids.integration = integration.body.id;
    for (const step of ['activate', 'reauthorize']) {
      const result = await keyhold.post(`/v1/integrations/${ids.integration}/${step}`, admin.token, { password });
      for (const [kind, value] of Object.entries(result.body.tokens ?? {})) keep(`integration ${step} ${kind}`, value as string);
    }
    scenarioEnd = await instant();
    expect((await keyhold.request('DELETE', `/v1/service-accounts/${ids.account}`, { token: admin.token })).status).toBeLessThan(300);
  });

  afterAll(async () => {
    await keyhold?.stop();
  });

  it('lists one credential\'s events with their metadata and the reason given', async () => {
    const history = await get(`/v1/history?kind=personal_api_token&id=${ids.token}`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((entry: { type: string }) => entry.type)).toEqual(['TokenIssued', 'TokenRevoked']);
    expect(history.body.items[1]).toMatchObject({
      tenantId: admin.tenantId,
      actorId: admin.userId,
      reason: 'laptop stolen',
      subject: { kind: 'personal_api_token', id: ids.token },
      data: { ownerId: admin.userId, revokedAt: ids.revokedAt, revokedBy: admin.userId },
      stream: { name: `personalTokens-${admin.userId}`, revision: expect.any(Number) },
    });
    expect(history.body.items[1].schemaVersion).toEqual(expect.any(Number));
    expect(history.body.nextCursor).toBeNull();
    const account = await get(`/v1/history?kind=service_account&id=${ids.account}`);
    expect(account.body.items.map((entry: { type: string }) => entry.type)).toEqual(
      expect.arrayContaining(['ServiceAccountCreated', 'ServiceAccountPermissionGranted', 'ClientSecretReset', 'ServiceAccountDeleted']),
    );
  });

  it('lists by actor', async () => {
    const history = await get(`/v1/history?actor=${member.id}`);
    // The member's own acts: accepting the invitation (setting a password, being signed in) and
    // issuing a first token on the account page (since issue 15: no token passes through the
    // admin), then the one above.
    const types = history.body.items.map((entry: { type: string }) => entry.type);
    expect(types).toEqual(['UserPasswordSet', 'InvitationAccepted', 'SessionStarted', 'TokenIssued', 'TokenIssued']);
    for (const entry of history.body.items.filter((item: { type: string }) => item.type === 'TokenIssued')) expect(entry.data.ownerId).toBe(member.id);
  });

  it('lists by several types within a time range, in log order, over two pages', async () => {
    const query = `type=TokenIssued&type=TokenRevoked&from=${scenarioStart}&to=${scenarioEnd}`;
    const first = await get(`/v1/history?${query}&limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/v1/history?${query}&limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.nextCursor).toBeNull();
    const entries = [...first.body.items, ...second.body.items];
    expect(entries.map((entry) => entry.type)).toEqual(['TokenIssued', 'TokenIssued', 'TokenRevoked', 'TokenIssued']);
    const positions = entries.map((entry) => entry.position);
    expect([...positions].sort()).toEqual(positions);
    expect(entries.every((entry) => entry.occurredAt >= scenarioStart && entry.occurredAt < scenarioEnd)).toBe(true);
    // The same types, comma-separated, select the same; `to` is exclusive.
    const commas = await get(`/v1/history?type=TokenIssued,TokenRevoked&from=${scenarioStart}&to=${scenarioEnd}`);
    expect(commas.body.items.map((entry: { eventId: string }) => entry.eventId)).toEqual(entries.map((entry) => entry.eventId));
    const upToRevocation = await get(`/v1/history?type=TokenRevoked&from=${scenarioStart}&to=${entries[2].occurredAt}`);
    expect(upToRevocation.body.items).toEqual([]);
  });

  it('exports the same selection as NDJSON, one event per line, every page of it', async () => {
    const response = await fetch(`${keyhold.url}/v1/history/export?from=${scenarioStart}`, { headers: { authorization: `Bearer ${auditor}` } });
    const text = await response.text();
    responses.push({ status: response.status, headers: response.headers, body: undefined, text });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line));
    const listed = [];
    for (let cursor = ''; ; ) {
      const page = await get(`/v1/history?from=${scenarioStart}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      listed.push(...page.body.items);
      if (!page.body.nextCursor) break;
      cursor = page.body.nextCursor;
    }
    expect(lines.length).toBeGreaterThan(15);
    expect(lines).toEqual(listed);
    expect(lines.every((entry) => entry.tenantId === admin.tenantId)).toBe(true);
    expect(new Set(lines.map((entry) => entry.subject.kind))).toEqual(new Set(['personal_api_token', 'service_account', 'api_client', 'connection', 'integration']));
  });

  it('shows a token as it was before and after its revocation, and not before it existed', async () => {
    const path = (at: string) => `/v1/history/state?kind=personal_api_token&id=${ids.token}&at=${at}`;
    const before = await get(path(ids.beforeRevocation));
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ kind: 'personal_api_token', id: ids.token, at: ids.beforeRevocation });
    expect(before.body.state).toMatchObject({ status: 'active', label: 'ci laptop', ownerId: admin.userId, revokedAt: null });
    const after = await get(path(scenarioEnd));
    expect(after.body.state).toMatchObject({ status: 'revoked', revokedAt: ids.revokedAt, revokedBy: admin.userId });
    expectProblem(await get(path(scenarioStart)), 404, 'not-found');
  });

  it('shows each kind of credential as it was, without secret material', async () => {
    const at = (kind: string, id: string, instantAt = scenarioEnd) => get(`/v1/history/state?kind=${kind}&id=${id}&at=${instantAt}`);
    expect((await at('service_account', ids.account, ids.accountGranted)).body.state).toMatchObject({ status: 'active', permissions: ['tokens:read'], secretGeneration: 0 });
    // A secret reset takes the account's rights with it.
    expect((await at('service_account', ids.account)).body.state).toMatchObject({ status: 'active', permissions: [], secretGeneration: 1 });
    expect((await get(`/v1/history/state?kind=service_account&id=${ids.account}`)).body.state.status).toBe('deleted');
    const client = (await at('api_client', ids.client)).body.state;
    expect(client).toMatchObject({ status: 'active', name: 'portal', redirectUris: ['https://portal.example/cb'] });
    expect(client.secrets).toHaveLength(2);
    expect(Object.keys(client.secrets[0]).sort()).toEqual(['expiresAt', 'secretId', 'status']);
    const connection = (await at('connection', ids.connection)).body.state;
    expect(connection).toMatchObject({ status: 'active', name: 'Slack alerts', credential: { type: 'api_key', headerName: 'X-Api-Key', secretsSet: { apiKey: true } } });
    expect(JSON.stringify(connection)).not.toMatch(/dataKeyId|ciphertext/);
    expect((await at('integration', ids.integration)).body.state).toMatchObject({ status: 'active', name: 'ERP sync' });
    expect((await at('integration', ids.integration, scenarioStart)).status).toBe(404);
  });

  it('shows another tenant nothing of this one', async () => {
    const theirs = await get(`/v1/history?limit=200`, other.token);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items.length).toBeGreaterThan(0);
    expect(theirs.body.items.every((entry: { tenantId: string }) => entry.tenantId === other.tenantId)).toBe(true);
    expect((await get(`/v1/history?kind=personal_api_token&id=${ids.token}`, other.token)).body.items).toEqual([]);
    expectProblem(await get(`/v1/history/state?kind=personal_api_token&id=${ids.token}`, other.token), 404, 'not-found');
    expectProblem(await get(`/v1/history/state?kind=connection&id=${ids.connection}`, other.token), 404, 'not-found');
  });

  it('lets admins and auditors read, and nobody else; an auditor changes nothing', async () => {
    expect((await get('/v1/history?limit=1', auditor)).status).toBe(200);
    expectProblem(await get('/v1/history', member.token), 403, 'forbidden');
    expectProblem(await get('/v1/history/export', member.token), 403, 'forbidden');
    expectProblem(await get(`/v1/history/state?kind=personal_api_token&id=${ids.token}`, member.token), 403, 'forbidden');
    expectProblem(await keyhold.get('/v1/history'), 401, 'unauthenticated');
    expectProblem(await get('/v1/users', auditor), 403, 'forbidden');
    expectProblem(await keyhold.post('/v1/service-accounts', auditor, { name: 'sneaky' }), 403, 'forbidden');
  });

  it('answers bad filters with 400 problems', async () => {
    for (const query of [
      'kind=personal_api_token',
      `id=${ids.token}`,
      'kind=planet&id=x',
      'from=yesterday',
      'to=2026-13-01T00:00:00Z',
      'type=tokenissued',
      `from=${scenarioEnd}&to=${scenarioStart}`,
      'limit=0',
      'colour=blue',
      `actor=${encodeURIComponent("x' OR 1=1")}`,
    ]) {
      expectProblem(await get(`/v1/history?${query}`), 400, 'validation-error');
    }
    expectProblem(await get('/v1/history?cursor=not-a-cursor'), 400, 'invalid-cursor');
    expectProblem(await get('/v1/history/export?from=yesterday'), 400, 'validation-error');
    expectProblem(await get(`/v1/history/state?kind=user&id=${admin.userId}`), 400, 'validation-error');
    expectProblem(await get(`/v1/history/state?kind=connection&id=${ids.connection}&at=soon`), 400, 'validation-error');
    expectProblem(await get(`/v1/history/state?kind=connection&id=${randomUUID()}`), 404, 'not-found');
  });

  it('never shows an issued secret, a hash, a key id or a ciphertext in any response', async () => {
    const stored = storedSecretMaterial((await keyhold.events()).map((event) => event.data));
    expect(stored.length).toBeGreaterThan(20);
    expect(Object.keys(issued).length).toBeGreaterThan(12);
    const everything = responses.map((response) => response.text).join('\n');
    expect(everything).toContain('laptop stolen');
    expect(secretsFoundIn(everything, issued)).toEqual([]);
    expect(secretsFoundIn(everything, Object.fromEntries(stored.map((value, n) => [`stored #${n}`, value])))).toEqual([]);
  });
};

describe('History for auditors, end to end over HTTP (embedded stores)', () => {
  describeHistory(() => ({}));
});

describeWithServer('MONGO_URL', 'History for auditors, end to end over HTTP (MongoDB read models)', (mongoUrl) => {
  const database = `keyhold_hist_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  describeHistory(() => ({ READ_MODELS: 'mongo', MONGO_URL: mongoUrl, MONGO_DATABASE: database }));
});
