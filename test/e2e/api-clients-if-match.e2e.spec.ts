import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { HttpResult, KeyholdHarness } from '../support/keyhold-harness';

type Change = readonly [method: string, path: string, body?: unknown];

/**
 * A resource with an ETag: how to make one; two changes that move it on and back (another
 * caller's); every change it has; what it reads as when none of them ran; one change to run fresh.
 */
type Resource = {
  readonly name: string;
  readonly create: (keyhold: KeyholdHarness, token: string) => Promise<{ id: string; secretId?: string }>;
  readonly collection: string;
  readonly stream: string;
  readonly moveOn: (path: string) => Change[];
  readonly changes: (path: string, secretId: string | undefined) => Promise<Change[]>;
  readonly unchanged: Record<string, unknown>;
  readonly fresh: (path: string) => Change;
};

const URI = 'https://app.example.com/callback';

const RESOURCES: Resource[] = [
  {
    name: 'an API client',
    create: async (keyhold, token) => (await keyhold.post('/v1/api-clients', token, { name: 'conditional' })).body,
    collection: 'api-clients',
    stream: 'apiClient',
    moveOn: (path) => [
      ['PATCH', path, { name: 'moved' }],
      ['PATCH', path, { name: 'conditional' }],
    ],
    changes: async (path, secretId) => [
      ['PATCH', path, { name: 'lost update' }],
      ['POST', `${path}/secrets`, {}],
      ['DELETE', `${path}/secrets/${secretId}`],
      ['POST', `${path}/redirect-uris`, { uri: URI }],
      ['DELETE', `${path}/redirect-uris?uri=${encodeURIComponent(URI)}`],
      ['PUT', `${path}/flows`, { requirePkce: false, refreshTokens: false, password: false, clientCredentials: true, clientCredentialsRoles: ['member'] }],
      ['PATCH', `${path}/flows`, { requirePkce: true }],
      ['DELETE', path],
    ],
    unchanged: { name: 'conditional', redirectUris: [], flows: { clientCredentials: false, requirePkce: false } },
    fresh: (path) => ['POST', `${path}/redirect-uris`, { uri: URI }],
  },
  {
    name: 'a service account',
    create: async (keyhold, token) => (await keyhold.post('/v1/service-accounts', token, { name: 'conditional' })).body,
    collection: 'service-accounts',
    stream: 'serviceAccount',
    moveOn: (path) => [
      ['PUT', `${path}/sunset`, { sunsetAt: '2999-01-01T00:00:00Z' }],
      ['PUT', `${path}/sunset`, { sunsetAt: null }],
    ],
    changes: async (path) => [
      ['PUT', `${path}/permissions/users:read`],
      ['DELETE', `${path}/permissions/users:read`],
      ['PUT', `${path}/projects/bridge-42`],
      ['DELETE', `${path}/projects/bridge-42`],
      ['PUT', `${path}/sunset`, { sunsetAt: new Date(Date.now() + 86_400_000).toISOString() }],
      ['PUT', `${path}/command-signing-key`, await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519' })).publicKey)],
      ['POST', `${path}/reset-secret`],
      ['DELETE', path],
    ],
    unchanged: { name: 'conditional', permissions: [], projects: [], sunsetAt: null, commandSigningKeyThumbprint: null },
    fresh: (path) => ['PUT', `${path}/permissions/users:read`],
  },
];

/**
 * ETag on a single API client or service account, If-Match on each of its changes: a change
 * made against a revision that is no longer current is refused with 412 and changes nothing;
 * against the current one it runs as without the header.
 */
describe('API clients and service accounts: ETag and If-Match', () => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; token: string };
  let events: EventStore;

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap(`if-match-${randomUUID().slice(0, 8)}`);
    events = keyhold.app.get<symbol, EventStore>(EVENT_STORE);
  });
  afterAll(() => keyhold.stop());

  const send = ([method, path, body]: Change, ifMatch?: string) =>
    keyhold.request(method, path, { token: admin.token, json: body, headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } });
  const etagOf = async (path: string) => {
    const read = await keyhold.get(path, admin.token);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toMatch(/^"\d+"$/);
    return read.headers.get('etag')!;
  };
  const expectStale = (change: Change, result: HttpResult) => {
    expect({ change, status: result.status, type: result.body?.type }).toEqual({ change, status: 412, type: 'https://keyhold.dev/problems/precondition-failed' });
  };

  describe.each(RESOURCES)('$name', (resource) => {
    let created: { id: string; secretId?: string };
    const path = () => `/v1/${resource.collection}/${created.id}`;
    const stream = async () => (await events.readStream(`${resource.stream}-${created.id}`)).map((event) => event.type);

    beforeAll(async () => {
      created = await resource.create(keyhold, admin.token);
    });

    it('refuses every change against a stale ETag with 412, and records nothing', async () => {
      const stale = await etagOf(path());
      expect(await etagOf(path())).toBe(stale);
      for (const change of resource.moveOn(path())) expect((await send(change)).status).toBe(200);
      expect(await etagOf(path())).not.toBe(stale);
      const before = await stream();
      for (const change of await resource.changes(path(), created.secretId)) expectStale(change, await send(change, stale));
      expect(await stream()).toEqual(before);
      expect((await keyhold.get(path(), admin.token)).body).toMatchObject(resource.unchanged);
    });

    it('runs a change against the current ETag; the next read names the next revision', async () => {
      const current = await etagOf(path());
      const changed = await send(resource.fresh(path()), current);
      expect(changed.status).toBe(200);
      const next = await etagOf(path());
      expect(next).not.toBe(current);
      expect((await send(['DELETE', path()], next)).status).toBe(204);
      expect((await keyhold.get(path(), admin.token)).status).toBe(404);
    });
  });
});
