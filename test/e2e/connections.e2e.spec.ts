import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ConnectionEvent, EncryptedSecret } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { DataKeyService, DataKeyUnavailableError, decryptValue, KEY_STORE, KeyStore } from '@keyhold/key-store';
import { expectProblem, HttpResult, KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';
import { everythingStoredUnder, secretsFoundIn } from '../support/secret-scan';

/** A secret nobody could mistake for anything else in a scan. */
const secret = (label: string) => `${label}-${randomBytes(24).toString('base64url')}`;

/** Every sealed secret a connection's events carry, with the field it belongs to. */
const ciphertextsOf = (events: RecordedEvent[], connectionId: string): Array<{ field: string; value: EncryptedSecret }> =>
  events
    .map((e) => e as unknown as ConnectionEvent)
    .filter((e) => (e.data as { connectionId?: string }).connectionId === connectionId)
    .flatMap((e) => {
      if (e.type === 'ConnectionCreated') return Object.entries(e.data.secrets);
      if (e.type === 'ConnectionUpdated') return Object.entries(e.data.replacedSecrets);
      return [];
    })
    .map(([field, value]) => ({ field, value: value! }));

/** The connection lifecycle over HTTP, on whichever read-model and key-store adapters `env` picks. */
const describeConnections = (env: () => Record<string, string>) => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };
  let member: string;
  let adminReadOnly: string;
  const used: Record<string, string> = {};
  const remember = (label: string) => {
    const value = secret(label);
    used[`${label} #${Object.keys(used).length}`] = value;
    return value;
  };

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(undefined, env());
    admin = await keyhold.bootstrap(`conn-${randomUUID().slice(0, 8)}`);
    member = (await keyhold.addUser(admin.token, 'member@conn.test', 'member')).token;
    adminReadOnly = (await keyhold.post('/v1/tokens', admin.token, { label: 'read only', scope: 'read' })).body.token;
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  const create = (body: unknown, token = admin.token) => keyhold.post('/v1/connections', token, body);
  const patch = (id: string, body: unknown, token = admin.token) => keyhold.request('PATCH', `/v1/connections/${id}`, { token, json: body });
  const access = (id: string, domain: unknown, token = admin.token) => keyhold.post(`/v1/connections/${id}/access`, token, { domain });
  const slack = () => ({
    name: 'Slack alerts',
    service: 'slack',
    allowedDomains: ['slack.com', '*.slack.com'],
    credential: { type: 'api_key', headerName: 'X-Api-Key', apiKey: remember('slack-api-key') },
  });
  const noSecretIn = (result: HttpResult) => expect(secretsFoundIn(result.text, used)).toEqual([]);

  describe('creating and reading', () => {
    it('stores each credential type and never shows a secret, only which secret fields are set', async () => {
      const created = await create(slack());
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/v1/connections/${created.body.id}`);
      expect(created.body).toMatchObject({
        name: 'Slack alerts',
        service: 'slack',
        allowedDomains: ['slack.com', '*.slack.com'],
        credential: { type: 'api_key', headerName: 'X-Api-Key', secretsSet: { apiKey: true } },
        status: 'active',
      });
      expect(created.body.credential.apiKey).toBeUndefined();
      noSecretIn(created);

      const basic = await create({
        name: 'Legacy ERP',
        service: 'erp',
        allowedDomains: ['erp.example.com'],
        credential: { type: 'basic_auth', username: remember('erp-user'), password: remember('erp-password') },
      });
      expect(basic.body.credential).toEqual({ type: 'basic_auth', secretsSet: { username: true, password: true } });
      const bearer = await create({
        name: 'Shopify admin',
        service: 'shopify',
        allowedDomains: ['*.myshopify.com'],
        credential: { type: 'bearer_token', token: remember('shopify-token') },
      });
      expect(bearer.body.credential).toEqual({ type: 'bearer_token', secretsSet: { token: true } });
      const oauth = await create({
        name: 'Google Ads',
        service: 'google-ads',
        allowedDomains: ['oauth2.googleapis.com', 'googleads.googleapis.com'],
        credential: {
          type: 'oauth2',
          clientId: 'client-123.apps.example',
          clientSecret: remember('google-client-secret'),
          tokenUrl: 'https://oauth2.googleapis.com/token',
          scopes: ['https://www.googleapis.com/auth/adwords'],
        },
      });
      expect(oauth.body.credential).toEqual({
        type: 'oauth2',
        clientId: 'client-123.apps.example',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: ['https://www.googleapis.com/auth/adwords'],
        secretsSet: { clientSecret: true, refreshToken: false },
      });

      for (const made of [created, basic, bearer, oauth]) {
        const fetched = await keyhold.get(`/v1/connections/${made.body.id}`, admin.token);
        expect(fetched.status).toBe(200);
        expect(fetched.body).toEqual(made.body);
        noSecretIn(fetched);
      }
      const listed = await keyhold.get('/v1/connections?limit=200', admin.token);
      expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual(
        expect.arrayContaining([created.body.id, basic.body.id, bearer.body.id, oauth.body.id]),
      );
      noSecretIn(listed);
      // Admins with a read-only token may read connections, never obtain a secret.
      expect((await keyhold.get(`/v1/connections/${created.body.id}`, adminReadOnly)).status).toBe(200);
      expectProblem(await access(created.body.id, 'slack.com', adminReadOnly), 403, 'forbidden');
    });

    it.each<[string, Record<string, unknown>]>([
      ['an allowed domain with a scheme', { allowedDomains: ['https://slack.com'] }],
      ['a single-label allowed domain', { allowedDomains: ['localhost'] }],
      ['a wildcard over a top-level domain', { allowedDomains: ['*.com'] }],
      ['no allowed domain', { allowedDomains: [] }],
      ['allowed domains that are not a list', { allowedDomains: 'slack.com' }],
      ['an empty name', { name: '  ' }],
      ['a name with a line break', { name: 'a\nb' }],
      ['no credential', { credential: undefined }],
      ['a credential that is a list', { credential: [{ type: 'bearer_token', token: 't' }] }],
      ['a credential that is text', { credential: 'bearer secret' }],
      ['an unknown credential type', { credential: { type: 'kerberos', ticket: 'x' } }],
      ['an api key without its key', { credential: { type: 'api_key', headerName: 'X-Api-Key' } }],
      ['an api key with a bad header name', { credential: { type: 'api_key', headerName: 'X Api Key', apiKey: 'k' } }],
      ['an api key with a password', { credential: { type: 'api_key', headerName: 'X-Api-Key', apiKey: 'k', password: 'p' } }],
      ['a secret with a line break (header injection)', { credential: { type: 'bearer_token', token: 'abc\r\nX-Evil: 1' } }],
      ['a basic auth user name with a colon', { credential: { type: 'basic_auth', username: 'a:b', password: 'p' } }],
      ['an OAuth token URL over http', { credential: { type: 'oauth2', clientId: 'c', clientSecret: 's', tokenUrl: 'http://slack.com/token', scopes: [] } }],
      ['an OAuth token URL that is not a URL', { credential: { type: 'oauth2', clientId: 'c', clientSecret: 's', tokenUrl: 'not a url', scopes: [] } }],
      ['an OAuth token URL outside the allowed domains', { credential: { type: 'oauth2', clientId: 'c', clientSecret: 's', tokenUrl: 'https://evil.example/token', scopes: [] } }],
      ['an unknown field', { color: 'blue' }],
    ])('refuses %s with a validation problem that does not echo secrets', async (_case, change) => {
      const body = { ...slack(), ...change };
      const result = await create(body);
      expectProblem(result, 400, 'validation-error');
      noSecretIn(result);
    });

    it('refuses a body that is not JSON, or not an object, without a 500', async () => {
      const garbled = await keyhold.request('POST', '/v1/connections', { token: admin.token, body: '{"name":', headers: { 'content-type': 'application/json' } });
      expect(garbled.status).toBe(400);
      const array = await keyhold.request('POST', '/v1/connections', { token: admin.token, json: [1, 2] });
      expect(array.status).toBe(400);
      expect((await keyhold.request('POST', '/v1/connections', { token: admin.token, body: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    });

    it('is for admins only', async () => {
      const created = await create(slack());
      expectProblem(await create(slack(), member), 403, 'forbidden');
      expectProblem(await keyhold.get('/v1/connections', member), 403, 'forbidden');
      expectProblem(await keyhold.get(`/v1/connections/${created.body.id}`, member), 403, 'forbidden');
      expectProblem(await patch(created.body.id, { name: 'mine now' }, member), 403, 'forbidden');
      expectProblem(await keyhold.request('DELETE', `/v1/connections/${created.body.id}`, { token: member }), 403, 'forbidden');
      expectProblem(await access(created.body.id, 'slack.com', member), 403, 'forbidden');
      expectProblem(await keyhold.get('/v1/connections'), 401, 'unauthenticated');
    });

    it('hides other tenants’ connections', async () => {
      const created = await create(slack());
      const other = await keyhold.bootstrap(`other-${randomUUID().slice(0, 8)}`);
      expectProblem(await keyhold.get(`/v1/connections/${created.body.id}`, other.token), 404, 'not-found');
      expectProblem(await patch(created.body.id, { name: 'x' }, other.token), 404, 'not-found');
      expectProblem(await access(created.body.id, 'slack.com', other.token), 404, 'not-found');
      expectProblem(await keyhold.request('DELETE', `/v1/connections/${created.body.id}`, { token: other.token }), 404, 'not-found');
      expect((await keyhold.get('/v1/connections', other.token)).body.items).toEqual([]);
      expectProblem(await keyhold.get(`/v1/connections/${randomUUID()}`, admin.token), 404, 'not-found');
      expectProblem(await keyhold.get('/v1/connections/not-a-uuid', admin.token), 400, 'validation-error');
    });
  });

  describe('using a credential', () => {
    it('hands the decrypted credential to a caller with connections:use, for an allowed domain, never cached', async () => {
      const body = slack();
      const created = await create(body);
      const used1 = await access(created.body.id, 'hooks.slack.com');
      expect(used1.status).toBe(200);
      expect(used1.headers.get('cache-control')).toBe('no-store');
      expect(used1.body).toMatchObject({
        connectionId: created.body.id,
        domain: 'hooks.slack.com',
        credential: { type: 'api_key', headerName: 'X-Api-Key', apiKey: body.credential.apiKey },
        headers: { 'X-Api-Key': body.credential.apiKey },
      });
      expect((await access(created.body.id, 'Slack.com.')).body.domain).toBe('slack.com');
    });

    it('gives ready-to-send headers for basic auth and bearer tokens', async () => {
      const [username, password, token] = [remember('u'), remember('p'), remember('t')];
      const basic = await create({ name: 'b', service: 'b', allowedDomains: ['b.example'], credential: { type: 'basic_auth', username, password } });
      expect((await access(basic.body.id, 'b.example')).body.headers).toEqual({
        Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      });
      const bearer = await create({ name: 't', service: 't', allowedDomains: ['t.example'], credential: { type: 'bearer_token', token } });
      expect((await access(bearer.body.id, 't.example')).body.headers).toEqual({ Authorization: `Bearer ${token}` });
    });

    it('refuses a domain that is not allowed, or not a domain, and records nothing then', async () => {
      const created = await create(slack());
      for (const domain of ['slack.com.evil.example', 'evilslack.com', 'example.org']) {
        const refused = await access(created.body.id, domain);
        expectProblem(refused, 403, 'domain-not-allowed');
        noSecretIn(refused);
      }
      for (const domain of ['https://slack.com', 'slack.com/path', '', 42]) expectProblem(await access(created.body.id, domain), 400, 'validation-error');
      const events = (await keyhold.events()).filter((e) => e.streamName === `connection-${created.body.id}`);
      expect(events.map((e) => e.type)).toEqual(['ConnectionCreated']);
    });

    it('records who accessed which connection, when and for which domain, and never the secret', async () => {
      const created = await create(slack());
      const used1 = await access(created.body.id, 'api.slack.com');
      const events = (await keyhold.events()).filter((e) => e.streamName === `connection-${created.body.id}`);
      const accessed = events.find((e) => e.type === 'ConnectionCredentialAccessed')!;
      expect(accessed.data).toEqual({
        tenantId: admin.tenantId,
        connectionId: created.body.id,
        accessedBy: admin.userId,
        actorKind: 'user',
        credentialId: expect.any(String),
        targetDomain: 'api.slack.com',
        accessedAt: used1.body.accessedAt,
      });
      expect(accessed.metadata.actorId).toBe(admin.userId);
      expect(secretsFoundIn(JSON.stringify(accessed), used)).toEqual([]);
      const fetched = await keyhold.get(`/v1/connections/${created.body.id}`, admin.token);
      expect(fetched.body.lastAccessedAt).toBe(used1.body.accessedAt);
    });
  });

  describe('editing', () => {
    it('changes what is sent and replaces one secret without resending the others', async () => {
      const username = remember('erp-user-2');
      const created = await create({
        name: 'ERP',
        service: 'erp',
        allowedDomains: ['erp.example.com'],
        credential: { type: 'basic_auth', username, password: remember('erp-password-2') },
      });
      const renamed = await patch(created.body.id, { name: 'ERP (prod)', allowedDomains: ['erp.example.com', 'backup.erp.example.com'] });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'ERP (prod)', allowedDomains: ['erp.example.com', 'backup.erp.example.com'] });
      expect(renamed.body.credential.secretsSet).toEqual({ username: true, password: true });
      const newPassword = remember('erp-password-3');
      const rotated = await patch(created.body.id, { credential: { password: newPassword } });
      expect(rotated.status).toBe(200);
      noSecretIn(rotated);
      const used1 = await access(created.body.id, 'backup.erp.example.com');
      expect(used1.body.credential).toEqual({ type: 'basic_auth', username, password: newPassword });
      expect((await keyhold.get(`/v1/connections/${created.body.id}`, admin.token)).body.name).toBe('ERP (prod)');
      // Nothing to change: no event.
      const before = (await keyhold.events()).length;
      expect((await patch(created.body.id, { name: 'ERP (prod)' })).status).toBe(200);
      expect((await keyhold.events()).length).toBe(before);
    });

    it('answers an ETag, and changes or deletes only at the revision the caller saw (If-Match)', async () => {
      const created = await create(slack());
      const read = await keyhold.get(`/v1/connections/${created.body.id}`, admin.token);
      const etag = read.headers.get('etag')!;
      expect(etag).toMatch(/^"\d+"$/);
      const withIfMatch = (ifMatch: string, body: unknown) =>
        keyhold.request('PATCH', `/v1/connections/${created.body.id}`, { token: admin.token, json: body, headers: { 'If-Match': ifMatch } });

      const renamed = await withIfMatch(etag, { name: 'Slack (fresh)' });
      expect(renamed.status).toBe(200);
      const after = await keyhold.get(`/v1/connections/${created.body.id}`, admin.token);
      expect(after.body.name).toBe('Slack (fresh)');
      expect(after.headers.get('etag')).not.toBe(etag);

      // The ETag read before the rename is stale now: refused, and nothing changed.
      const before = (await keyhold.events()).length;
      expectProblem(await withIfMatch(etag, { name: 'Slack (stale)', credential: { apiKey: remember('stale-key') } }), 412, 'precondition-failed');
      const deleteStale = await keyhold.request('DELETE', `/v1/connections/${created.body.id}`, { token: admin.token, headers: { 'If-Match': etag } });
      expectProblem(deleteStale, 412, 'precondition-failed');
      expect((await keyhold.events()).length).toBe(before);
      expect((await keyhold.get(`/v1/connections/${created.body.id}`, admin.token)).body).toMatchObject({ name: 'Slack (fresh)', status: 'active' });

      const deleted = await keyhold.request('DELETE', `/v1/connections/${created.body.id}`, { token: admin.token, headers: { 'If-Match': after.headers.get('etag')! } });
      expect(deleted.status).toBe(204);
    });

    it('refuses to change the credential type, or fields the type does not have', async () => {
      const created = await create(slack());
      expectProblem(await patch(created.body.id, { credential: { type: 'bearer_token' } }), 422, 'immutable-field');
      expectProblem(await patch(created.body.id, { credential: { clientId: 'x' } }), 400, 'validation-error');
      expectProblem(await patch(created.body.id, { credential: { token: 'x' } }), 400, 'validation-error');
      expectProblem(await patch(created.body.id, { allowedDomains: ['nope'] }), 400, 'validation-error');
      expectProblem(await patch(created.body.id, { credential: { apiKey: '' } }), 400, 'validation-error');
      expectProblem(await patch(created.body.id, { secretField: 'x' }), 400, 'validation-error');
      expectProblem(await patch(created.body.id, { credential: 'x' }), 400, 'validation-error');
      expectProblem(await patch(created.body.id, { credential: null }), 400, 'validation-error');
    });

    it('lets an OAuth client change only its client id and secret after creation', async () => {
      const refreshToken = remember('refresh-token');
      const created = await create({
        name: 'Shopify app',
        service: 'shopify',
        allowedDomains: ['*.myshopify.com', 'accounts.shopify.com'],
        credential: {
          type: 'oauth2',
          clientId: 'old-client',
          clientSecret: remember('old-client-secret'),
          tokenUrl: 'https://accounts.shopify.com/oauth/token',
          scopes: ['read_orders', 'read_products'],
          refreshToken,
        },
      });
      expect(created.body.credential.secretsSet).toEqual({ clientSecret: true, refreshToken: true });
      const newSecret = remember('new-client-secret');
      const changed = await patch(created.body.id, { credential: { clientId: 'new-client', clientSecret: newSecret } });
      expect(changed.status).toBe(200);
      expect(changed.body.credential).toMatchObject({ clientId: 'new-client', tokenUrl: 'https://accounts.shopify.com/oauth/token' });
      expectProblem(await patch(created.body.id, { credential: { tokenUrl: 'https://accounts.shopify.com/other' } }), 422, 'immutable-field');
      expectProblem(await patch(created.body.id, { credential: { scopes: ['write_orders'] } }), 422, 'immutable-field');
      // Issue 17: /access of an OAuth 2.0 connection hands out an access token; the raw secrets only through /reveal.
      const used1 = await keyhold.post(`/v1/connections/${created.body.id}/reveal`, admin.token, { domain: 'accounts.shopify.com' });
      expect(used1.body.credential).toEqual({
        type: 'oauth2',
        clientId: 'new-client',
        clientSecret: newSecret,
        tokenUrl: 'https://accounts.shopify.com/oauth/token',
        scopes: ['read_orders', 'read_products'],
        refreshToken,
      });
      expect(used1.body.headers).toEqual({});
      expectProblem(await patch(created.body.id, { allowedDomains: ['*.myshopify.com'] }), 400, 'validation-error');
    });
  });

  describe('deleting', () => {
    it('is final: reads, edits and uses of a deleted connection are refused as gone', async () => {
      const created = await create(slack());
      const deleted = await keyhold.request('DELETE', `/v1/connections/${created.body.id}`, { token: admin.token });
      expect(deleted.status).toBe(204);
      expectProblem(await keyhold.get(`/v1/connections/${created.body.id}`, admin.token), 410, 'connection-deleted');
      expectProblem(await patch(created.body.id, { name: 'revived' }), 410, 'connection-deleted');
      expectProblem(await patch(created.body.id, { credential: { apiKey: remember('late-key') } }), 410, 'connection-deleted');
      expectProblem(await access(created.body.id, 'slack.com'), 410, 'connection-deleted');
      expect((await keyhold.request('DELETE', `/v1/connections/${created.body.id}`, { token: admin.token })).status).toBe(204);
      const listed = await keyhold.get('/v1/connections?limit=200', admin.token);
      expect(listed.body.items.map((c: { id: string }) => c.id)).not.toContain(created.body.id);
      expectProblem(await keyhold.request('DELETE', `/v1/connections/${randomUUID()}`, { token: admin.token }), 404, 'not-found');
    });

    it('crypto-shreds: after deletion, nothing in the whole log can be decrypted again', async () => {
      const body = slack();
      const created = await create(body);
      const id = created.body.id;
      const replaced = remember('replaced-api-key');
      await patch(id, { credential: { apiKey: replaced } });
      await access(id, 'slack.com');
      const dataKeys = keyhold.app.get(DataKeyService);
      const keyStore = keyhold.app.get<symbol, KeyStore>(KEY_STORE);
      // What an attacker would need: the data key. Copied here only to prove the ciphertexts are real.
      const copied = await dataKeys.get(id);
      const wrapped = (await keyStore.find(id))!.wrappedKey;
      const before = ciphertextsOf(await keyhold.events(), id);
      expect(before.map((c) => c.field)).toEqual(['apiKey', 'apiKey']);
      expect(before.map((c) => decryptValue(copied, c.field, c.value))).toEqual([body.credential.apiKey, replaced]);

      expect((await keyhold.request('DELETE', `/v1/connections/${id}`, { token: admin.token })).status).toBe(204);

      // The whole log, read again from the start: the ciphertexts are all still there...
      const log = await keyhold.events();
      const after = ciphertextsOf(log, id);
      expect(after).toEqual(before);
      expect(log.some((e) => e.type === 'ConnectionDeleted' && (e.data as { connectionId: string }).connectionId === id)).toBe(true);
      // ...but the key that opens them is gone from the key store, for good,
      const refused = await dataKeys.get(id).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DataKeyUnavailableError);
      expect((refused as DataKeyUnavailableError).destroyedAt).toEqual(expect.any(String));
      expect(await keyStore.find(id)).toBeNull();
      // and no key left anywhere opens them (every other connection's key tried on every ciphertext).
      const others = await keyStore.listWrappedOtherThan('no-such-master-key', null, 10_000);
      expect(others.length).toBeGreaterThan(3);
      for (const stored of others) {
        const key = await dataKeys.get(stored.ownerId);
        for (const { field, value } of after) {
          expect(() => decryptValue({ ...key, ownerId: id, keyId: value.keyId }, field, value)).toThrow();
          expect(() => decryptValue(key, field, value)).toThrow();
        }
      }
      // Nor does any copy of the key survive in the files, embedded store or not.
      if (!env().KEY_STORE) {
        const stored = everythingStoredUnder(keyhold.dataDir);
        expect(stored.includes(wrapped)).toBe(false);
        expect(stored.includes(copied.key)).toBe(false);
        expect(stored.includes(copied.key.toString('base64url'))).toBe(false);
      }
    });
  });

  it('keeps no secret in clear in the event log, the read models, the key store or the logs', async () => {
    await keyhold.get('/health/ready');
    const log = JSON.stringify(await keyhold.events());
    expect(Object.keys(used).length).toBeGreaterThan(10);
    expect(secretsFoundIn(log, used)).toEqual([]);
    expect(secretsFoundIn(keyhold.logs.join('\n'), used)).toEqual([]);
    const { MONGO_URL, MONGO_DATABASE } = env();
    if (MONGO_URL) {
      // Every document of every collection: read models, checkpoints and the key store.
      const client = await MongoClient.connect(MONGO_URL);
      try {
        const db = client.db(MONGO_DATABASE);
        const names = (await db.listCollections().toArray()).map((c) => c.name);
        expect(names).toEqual(expect.arrayContaining(['rm_connections', 'key_store_data_keys']));
        const dump = JSON.stringify(await Promise.all(names.map((name) => db.collection(name).find().toArray())));
        expect(dump).toContain('Slack alerts');
        expect(secretsFoundIn(dump, used)).toEqual([]);
      } finally {
        await client.close();
      }
    }
    if (!env().READ_MODELS) {
      const stored = everythingStoredUnder(keyhold.dataDir);
      expect(stored.length).toBeGreaterThan(10_000);
      expect(secretsFoundIn(stored, used)).toEqual([]);
      // The scan sees what is stored: connection names and domains are there, in clear.
      expect(stored.includes('Slack alerts')).toBe(true);
    }
  });
};

describe('Connections, end to end over HTTP (embedded stores)', () => {
  describeConnections(() => ({}));
});

describeWithServer('MONGO_URL', 'Connections, end to end over HTTP (MongoDB read models and key store)', (mongoUrl) => {
  const database = `keyhold_conn_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  describeConnections(() => ({ READ_MODELS: 'mongo', KEY_STORE: 'mongo', MONGO_URL: mongoUrl, MONGO_DATABASE: database }));
});

describe('Connections across restarts and master key rotation', () => {
  const masterKey = () => randomBytes(32).toString('base64url');

  it('keeps connections usable across a restart, and re-wraps data keys under a new master key without touching an event', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-rotation-'));
    const [k1, k2] = [masterKey(), masterKey()];
    const apiKey = secret('rotated-api-key');

    const first = await KeyholdHarness.start(dataDir, { MASTER_KEYS: `k1:${k1}` });
    const admin = await first.bootstrap('rotation');
    const created = await first.post('/v1/connections', admin.token, {
      name: 'Rotated',
      service: 'svc',
      allowedDomains: ['svc.example.com'],
      credential: { type: 'api_key', headerName: 'X-Key', apiKey },
    });
    expect((await first.app.get<symbol, KeyStore>(KEY_STORE).find(created.body.id))!.masterKeyId).toBe('k1');
    const logBefore = JSON.stringify(await first.events());
    await first.stop();

    // Both keys configured, k2 current: old keys still open, new ones are wrapped under k2.
    const during = await KeyholdHarness.start(dataDir, { MASTER_KEYS: `k1:${k1},k2:${k2}`, MASTER_KEY_ID: 'k2' });
    expect((await during.post(`/v1/connections/${created.body.id}/access`, admin.token, { domain: 'svc.example.com' })).body.credential.apiKey).toBe(apiKey);
    const report = await during.app.get(DataKeyService).rewrapAll();
    expect(report).toEqual({ masterKeyId: 'k2', rewrapped: 1, failed: [] });
    expect((await during.app.get(DataKeyService).rewrapAll()).rewrapped).toBe(0);
    expect((await during.app.get<symbol, KeyStore>(KEY_STORE).find(created.body.id))!.masterKeyId).toBe('k2');
    const logAfterRewrap = JSON.stringify((await during.events()).filter((e) => !e.type.startsWith('ConnectionCredential')));
    await during.stop();
    expect(logAfterRewrap).toBe(logBefore);

    // The old master key is dropped: everything still opens under k2 alone.
    const after = await KeyholdHarness.start(dataDir, { MASTER_KEYS: `k2:${k2}` });
    try {
      const used = await after.post(`/v1/connections/${created.body.id}/access`, admin.token, { domain: 'svc.example.com' });
      expect(used.status).toBe(200);
      expect(used.body.credential.apiKey).toBe(apiKey);
    } finally {
      await after.stop();
    }

    // Without the master key its data key is wrapped under, the service says so and shows nothing.
    const wrongKey = await KeyholdHarness.start(dataDir, { MASTER_KEYS: `k3:${masterKey()}` });
    try {
      const refused = await wrongKey.post(`/v1/connections/${created.body.id}/access`, admin.token, { domain: 'svc.example.com' });
      expectProblem(refused, 503, 'service-unavailable');
      expect(refused.text).not.toContain(apiKey);
    } finally {
      await wrongKey.stop();
    }
    const stored = everythingStoredUnder(dataDir);
    expect(secretsFoundIn(stored, { apiKey })).toEqual([]);
  });
});
