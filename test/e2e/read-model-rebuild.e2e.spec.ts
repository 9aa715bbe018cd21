import { randomBytes, randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { ProjectionsService } from '@keyhold/platform';
import {
  projectionNameOf,
  READ_MODEL_PROJECTIONS,
  ReadModelCollection,
  ReadModelDocument,
  ReadModelGenerations,
  ReadModelRebuild,
  TOKENS,
} from '@keyhold/read-models';
import { rebuildReadModels } from '../../apps/keyhold/src/cli/rebuild-read-models';
import { KeyholdHarness } from '../support/keyhold-harness';
import { acceptInvitationAndIssueToken } from '../support/form-browser';
import { describeWithServer } from '../support/real-server';

type Admin = Awaited<ReturnType<KeyholdHarness['bootstrap']>>;

const basic = (clientId: string, secret: string) => `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;

/** Every document of a collection, through the port, in id order. */
const everything = async (collection: ReadModelCollection<ReadModelDocument>): Promise<ReadModelDocument[]> => {
  const documents: ReadModelDocument[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: ReadModelDocument[]; nextCursor: string | null } = await collection.list({ where: {}, orderBy: 'id', direction: 'asc', limit: 100, cursor });
    documents.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return documents;
};

/** Commands of every credential kind, with the changes each kind allows, so that every view has something to show. */
const driveEveryKind = async (keyhold: KeyholdHarness, admin: Admin) => {
  const ok = async (result: Promise<{ status: number; body: any; text: string }>) => {
    const done = await result;
    if (done.status >= 300) throw new Error(`${done.status}: ${done.text}`);
    return done.body;
  };
  const tokens = [];
  for (let n = 0; n < 12; n += 1) tokens.push(await ok(keyhold.post('/v1/tokens', admin.token, { label: `token ${n}`, scope: n % 2 ? 'read' : 'read_write' })));
  for (const token of tokens.slice(0, 4)) await ok(keyhold.post(`/v1/tokens/${token.id}/revoke`, admin.token, { reason: 'rotation' }));

  const users = [];
  for (let n = 0; n < 4; n += 1) users.push(await ok(keyhold.post('/v1/users', admin.token, { email: `user${n}@${admin.tenantId}.test`, role: 'member' })));
  await ok(keyhold.request('PUT', `/v1/users/${users[0].id}/role`, { token: admin.token, json: { role: 'admin' } }));
  // Browser sessions (the sessions view): one user accepts the invitation, signs in again, signs out.
  const { browser } = await acceptInvitationAndIssueToken(users[1].invitation.url, 'rebuild password 123');
  await browser.submit('/account', '/signout', {});
  // A person's access tokens (the user-access-tokens view), by the password grant of an API client.
  const app = await ok(keyhold.post('/v1/api-clients', admin.token, { name: 'people app' }));
  await ok(keyhold.request('PUT', `/v1/api-clients/${app.id}/flows`, { token: admin.token, json: { requirePkce: false, refreshTokens: false, password: true, clientCredentials: false, clientCredentialsRoles: [] } }));
  const grant = new URLSearchParams({ grant_type: 'password', username: users[1].email, password: 'rebuild password 123' }).toString();
  await ok(keyhold.request('POST', '/oauth/token', { body: grant, headers: { authorization: basic(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded' } }));

  for (let n = 0; n < 3; n += 1) {
    const account = await ok(keyhold.post('/v1/service-accounts', admin.token, { name: `robot ${n}` }));
    await ok(keyhold.request('PUT', `/v1/service-accounts/${account.id}/permissions/tokens:read`, { token: admin.token }));
    const form = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
    const headers = { authorization: basic(account.clientId, account.clientSecret), 'content-type': 'application/x-www-form-urlencoded' };
    const issued = await ok(keyhold.request('POST', '/oauth/token', { body: form, headers }));
    // RFC 7009: a revoked access token is kept denied until its expiry (access_token_revocations).
    if (n === 1) await ok(keyhold.request('POST', '/oauth/revoke', { body: new URLSearchParams({ token: issued.access_token }).toString(), headers }));
    if (n === 0) await ok(keyhold.post(`/v1/service-accounts/${account.id}/reset-secret`, admin.token, {}));
  }

  for (let n = 0; n < 3; n += 1) {
    const client = await ok(keyhold.post('/v1/api-clients', admin.token, { name: `dashboard ${n}` }));
    const second = await ok(keyhold.post(`/v1/api-clients/${client.id}/secrets`, admin.token, {}));
    if (n === 0) await ok(keyhold.request('DELETE', `/v1/api-clients/${client.id}/secrets/${second.secretId}`, { token: admin.token }));
    if (n === 1) await ok(keyhold.request('PATCH', `/v1/api-clients/${client.id}`, { token: admin.token, json: { name: 'renamed' } }));
  }

  for (let n = 0; n < 3; n += 1) {
    const connection = await ok(
      keyhold.post('/v1/connections', admin.token, {
        name: `service ${n}`,
        service: 'slack',
        allowedDomains: ['slack.com'],
        credential: { type: 'api_key', headerName: 'X-Api-Key', apiKey: randomBytes(16).toString('hex') },
      }),
    );
    if (n === 0) await ok(keyhold.request('PATCH', `/v1/connections/${connection.id}`, { token: admin.token, json: { name: 'renamed' } }));
    if (n === 1) await ok(keyhold.request('DELETE', `/v1/connections/${connection.id}`, { token: admin.token }));
  }

  const password = `pw ${randomBytes(12).toString('base64url')} long enough`;
  await ok(keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: password } }));
  for (let n = 0; n < 2; n += 1) {
    const integration = await ok(
      keyhold.post('/v1/integrations', admin.token, {
        password,
        name: `ERP ${n}`,
        email: 'ops@erp.example',
        // No callback URL: activation shows the four secrets (with one, the OAuth 1.0a handshake runs; issue 17).
        identityLinkUrl: 'https://erp.example/keyhold/login',
        resourceAccess: 'custom',
        resources: ['users.read'],
      }),
    );
    await ok(keyhold.post(`/v1/integrations/${integration.id}/activate`, admin.token));
    if (n === 0) await ok(keyhold.post(`/v1/integrations/${integration.id}/reauthorize`, admin.token, { password }));
  }
  await ok(keyhold.request('PATCH', '/v1/settings', { token: admin.token, json: { clientSecretMaxLifetimeDays: 365 } }));
};

/** Runs the rebuild command in this process, as `npm run cli -- rebuild` would, capturing its stdout and stderr. */
const runRebuildCommand = async (args: string[], env: Record<string, string>) => {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    const code = await rebuildReadModels(args, env);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
};

const describeRebuild = (setting: string, serverEnv: () => Record<string, string>) => {
  describe(`Rebuilding the read models (${setting})`, () => {
    let keyhold: KeyholdHarness;
    let admin: Admin;
    let env: Record<string, string>;
    let generations: ReadModelGenerations;

    beforeAll(async () => {
      keyhold = await KeyholdHarness.start(undefined, serverEnv());
      env = { DATA_DIR: keyhold.dataDir, ...serverEnv() };
      generations = keyhold.app.get(ReadModelGenerations);
      admin = await keyhold.bootstrap(`rebuild-${randomUUID().slice(0, 8)}`);
      const other = await keyhold.bootstrap(`other-${randomUUID().slice(0, 8)}`);
      await driveEveryKind(keyhold, admin);
      await driveEveryKind(keyhold, other);
    }, 120_000);
    afterAll(async () => {
      await keyhold?.stop();
    });

    const listings = async () =>
      Promise.all(
        ['/v1/tokens?owner=all&limit=200', '/v1/users?limit=200', '/v1/service-accounts?limit=200', '/v1/api-clients?limit=200', '/v1/connections?limit=200', '/v1/integrations?limit=200', '/v1/settings'].map(
          async (path) => {
            const result = await keyhold.get(path, admin.token);
            expect(result.status).toBe(200);
            // Last use is not projected from the log (see TOKEN_USAGE) and moves with these very requests.
            return JSON.parse(result.text, (key, value) => (key === 'lastUsedAt' ? undefined : value));
          },
        ),
      );

    it('replays the log into a generation equal, document for document, to the live one; then switches over', async () => {
      const events = keyhold.app.get<symbol, EventStore>(EVENT_STORE);
      expect(await keyhold.app.get(ProjectionsService).waitForReads((await events.headPosition())!, 20_000)).toBe(true);
      const before = await listings();

      const rebuild = await ReadModelRebuild.start(events, generations, READ_MODEL_PROJECTIONS, 'e2e');
      await rebuild.catchUp();
      expect([...rebuild.projections].sort()).toEqual(READ_MODEL_PROJECTIONS.map(projectionNameOf).sort());
      expect(rebuild.collections.length).toBeGreaterThanOrEqual(READ_MODEL_PROJECTIONS.length);
      for (const definition of rebuild.collections) {
        const live = await everything(generations.live.collection(definition));
        const rebuilt = await everything(generations.at(rebuild.generation).collection(definition));
        // Every view has documents (every kind was driven), and the rebuilt ones are the same.
        expect({ [definition.name]: live.length > 0 }).toEqual({ [definition.name]: true });
        expect({ [definition.name]: rebuilt }).toEqual({ [definition.name]: live });
      }

      const previous = await rebuild.switchOver();
      expect(Object.values(previous).every((entry) => entry.generation === 0)).toBe(true);
      expect(READ_MODEL_PROJECTIONS.map((build) => generations.generationOf(projectionNameOf(build)))).toEqual(
        READ_MODEL_PROJECTIONS.map(() => rebuild.generation),
      );
      expect(await listings()).toEqual(before);

      // The worker goes on projecting, into the new generation only.
      const fresh = await keyhold.post('/v1/tokens', admin.token, { label: 'after the switch', scope: 'read' });
      expect(fresh.status).toBe(201);
      expect((await keyhold.get(`/v1/tokens/${fresh.body.id}`, admin.token)).body).toMatchObject({ label: 'after the switch' });
      expect(await generations.at(rebuild.generation).collection(TOKENS).get(fresh.body.id)).toMatchObject({ label: 'after the switch' });
      expect(await generations.at(0).collection(TOKENS).get(fresh.body.id)).toBeNull();
      const ready = await keyhold.get('/health/ready');
      expect(ready.status).toBe(200);
    }, 120_000);

    it('runs as a command: all or named projections, a JSON line for scripts, the replaced generation emptied', async () => {
      const before = await listings();
      const from = generations.generationOf('tokens');

      const all = await runRebuildCommand(['--all'], env);
      expect(all.stderr).not.toMatch(/error/i);
      expect(all.code).toBe(0);
      const result = JSON.parse(all.stdout.trim().split('\n').pop()!);
      expect(Object.keys(result).sort()).toEqual(['events', 'eventsPerSecond', 'generation', 'projections', 'seconds']);
      expect(result.generation).toBeGreaterThan(from);
      expect(result.events).toBeGreaterThan(100);
      expect(result.eventsPerSecond).toBeGreaterThan(0);
      expect(all.stderr).toMatch(/rebuild: \d+ events, [\d.]+% of the log, \d+ events\/s, ETA/);

      await generations.refresh();
      expect(generations.generationOf('tokens')).toBe(result.generation);
      expect(await everything(generations.at(from).collection(TOKENS))).toEqual([]);
      expect(await listings()).toEqual(before);

      const some = await runRebuildCommand(['--projection', 'tokens', '--projection', 'users'], env);
      expect(some.code).toBe(0);
      const partial = JSON.parse(some.stdout.trim().split('\n').pop()!);
      expect(partial.projections).toEqual(['tokens', 'users']);
      await generations.refresh();
      expect([generations.generationOf('tokens'), generations.generationOf('users'), generations.generationOf('connections')]).toEqual([
        partial.generation,
        partial.generation,
        result.generation,
      ]);
      expect(await listings()).toEqual(before);
    }, 120_000);

    it('refuses while another rebuild holds the lock, and refuses bad usage with a clear message', async () => {
      const lock = await generations.acquireLock('other-host:42', 60_000);
      try {
        const refused = await runRebuildCommand(['--all'], env);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('Another rebuild (other-host:42) holds the read-model rebuild lock');
        expect(refused.stdout).toBe('');
      } finally {
        await lock.release();
      }
      for (const [args, message] of [
        [[], 'name either --all or at least one --projection'],
        [['--all', '--projection', 'tokens'], 'name either --all or at least one --projection'],
        [['--projection', 'nope'], 'unknown projection nope; known: tokens'],
        [['--all', '--frobnicate'], 'property frobnicate should not exist'],
        [['--all', 'now'], 'unexpected argument now'],
      ] as const) {
        const run = await runRebuildCommand([...args], env);
        expect({ args, code: run.code }).toEqual({ args, code: 2 });
        expect(run.stderr).toContain(message);
        expect(run.stderr).toContain('npm run cli -- rebuild');
      }
    }, 60_000);
  });
};

describeRebuild('embedded SQLite', () => ({}));

describeWithServer('MONGO_URL', 'Rebuilding read models on MongoDB', (url) => {
  const database = `keyhold_rebuild_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  afterAll(async () => {
    const client = await MongoClient.connect(url);
    await client.db(database).dropDatabase();
    await client.close();
  });
  describeRebuild('MongoDB', () => ({ READ_MODELS: 'mongo', MONGO_URL: url, MONGO_DATABASE: database }));
});
