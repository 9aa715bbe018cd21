import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClientCommand, apiClientDecider, streamName } from '@keyhold/domain';
import { EventStore, handleCommand, SqliteEventStore } from '@keyhold/event-store';
import { CheckpointStore, IN_MEMORY_CHECKPOINTS, Projection, ProjectionRunner } from '../projection/projection-runner';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { API_CLIENTS, apiClientsProjection, ApiClientView, CLIENT_SECRETS, clientSecretsProjection, ClientSecretView } from './api-clients.view';

const silent = { error: () => undefined };
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const T2 = '2026-07-01T00:00:00.000Z';
const LATER = '2027-01-01T00:00:00.000Z';
const secret = (n: number) => ({ secretHash: `hash-${n}`, hashKeyId: 'k1', hint: `kh_cs_…000${n}` });

const runUntilCaughtUp = async (events: EventStore, checkpoints: CheckpointStore, projection: Projection) => {
  const runner = new ProjectionRunner(events, checkpoints, projection, silent);
  await runner.start();
  expect(await runner.waitFor((await events.headPosition())!, 5000)).toBe(true);
  await runner.stop();
};

describe('API-client projections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-api-clients-'));
  const events = new SqliteEventStore(join(dir, 'events.sqlite'));
  const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
  const tenantId = randomUUID();
  const [kept, deleted] = [randomUUID(), randomUUID()];
  const clients = readModels.collection<ApiClientView>(API_CLIENTS);
  const secrets = readModels.collection<ClientSecretView>(CLIENT_SECRETS);

  const run = (clientId: string, command: ApiClientCommand) =>
    handleCommand(events, streamName('apiClient', clientId), apiClientDecider, command, { tenantId, actorId: 'u', correlationId: 'c', causationId: 'c', now: command.now });

  beforeAll(async () => {
    for (const [clientId, n] of [[kept, 1], [deleted, 3]] as const) {
      await run(clientId, { type: 'CreateApiClient', tenantId, clientId, name: `client ${n}`, secretId: `s-${n}`, secret: secret(n), secretExpiresAt: T2, now: T0 });
      await run(clientId, { type: 'AddClientSecret', tenantId, secretId: `s-${n + 1}`, secret: secret(n + 1), expiresAt: LATER, now: T1 });
    }
    await run(kept, { type: 'RenameApiClient', tenantId, name: 'renamed', now: T1 });
    await run(kept, { type: 'AddRedirectUri', tenantId, uri: 'https://a.example/cb', now: T1 });
    await run(kept, { type: 'AddRedirectUri', tenantId, uri: 'https://b.example/cb', now: T1 });
    await run(kept, { type: 'RemoveRedirectUri', tenantId, uri: 'https://a.example/cb', now: T1 });
    await run(kept, { type: 'ChangeApiClientFlows', tenantId, flows: { requirePkce: true, refreshTokens: false, password: false, clientCredentials: true, clientCredentialsRoles: ['member'] }, now: T1 });
    await run(kept, { type: 'ExpireClientSecret', tenantId, secretId: 's-1', now: T2 });
    await run(deleted, { type: 'RemoveClientSecret', tenantId, secretId: 's-3', now: T1 });
    await run(deleted, { type: 'DeleteApiClient', tenantId, now: T2 });
    await runUntilCaughtUp(events, readModels, apiClientsProjection(readModels));
    await runUntilCaughtUp(events, readModels, clientSecretsProjection(readModels));
  });

  afterAll(async () => {
    await readModels.close();
  });

  it('list the client as its events left it', async () => {
    expect(await clients.get(kept)).toMatchObject({
      tenantId,
      name: 'renamed',
      status: 'active',
      redirectUris: ['https://b.example/cb'],
      flows: { requirePkce: true, clientCredentials: true, clientCredentialsRoles: ['member'] },
      createdAt: T0,
      updatedAt: T1,
    });
    expect((await clients.get(deleted))?.status).toBe('deleted');
  });

  it("keep the client's stream revision, the ETag, also from its secrets' events", async () => {
    // The last event of the kept client's stream is a secret's expiry, which shows nothing on the client.
    const stream = await events.readStream(streamName('apiClient', kept));
    expect(stream.at(-1)?.type).toBe('ClientSecretExpired');
    expect((await clients.get(kept))?.streamRevision).toBe(stream.at(-1)?.streamRevision);
  });

  it('list secrets with their status; a deleted client leaves none active', async () => {
    const statuses = async () => Object.fromEntries(await Promise.all(['s-1', 's-2', 's-3', 's-4'].map(async (id) => [id, (await secrets.get(id))?.status])));
    expect(await statuses()).toEqual({ 's-1': 'expired', 's-2': 'active', 's-3': 'removed', 's-4': 'removed' });
    expect(await secrets.get('s-2')).toMatchObject({ clientId: kept, tenantId, hint: 'kh_cs_…0002', createdAt: T1, expiresAt: LATER });
    const active = await secrets.list({ where: { tenantId, status: 'active' }, orderBy: 'expiresAt', direction: 'asc', limit: 10 });
    expect(active.items.map((s) => s.id)).toEqual(['s-2']);
  });

  it('give the same read models when every event is applied again (run twice, nothing changes)', async () => {
    const before = [await clients.get(kept), await clients.get(deleted), ...(await Promise.all(['s-1', 's-2', 's-3', 's-4'].map((id) => secrets.get(id))))];
    await runUntilCaughtUp(events, IN_MEMORY_CHECKPOINTS, apiClientsProjection(readModels));
    await runUntilCaughtUp(events, IN_MEMORY_CHECKPOINTS, clientSecretsProjection(readModels));
    const after = [await clients.get(kept), await clients.get(deleted), ...(await Promise.all(['s-1', 's-2', 's-3', 's-4'].map((id) => secrets.get(id))))];
    expect(after).toEqual(before);
  });
});
