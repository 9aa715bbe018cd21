import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConnectionCommand,
  connectionDecider,
  EncryptedSecret,
  IntegrationCommand,
  integrationsDecider,
  streamName,
  TenantSettingsCommand,
  tenantSettingsDecider,
} from '@keyhold/domain';
import { EventStore, handleCommand, SqliteEventStore } from '@keyhold/event-store';
import { CheckpointStore, IN_MEMORY_CHECKPOINTS, Projection, ProjectionRunner } from '../projection/projection-runner';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { CONNECTIONS, connectionsProjection, ConnectionView } from './connections.view';
import {
  INTEGRATIONS,
  integrationsProjection,
  IntegrationView,
  TENANT_SETTINGS,
  tenantSettingsProjection,
  TenantSettingsView,
} from './integrations.view';

const silent = { error: () => undefined };
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const sealed = (n: number): EncryptedSecret => ({ alg: 'A256GCM', keyId: 'dk', iv: `iv-${n}`, ciphertext: `ciphertext-${n}`, tag: `tag-${n}` });
const hashed = (n: number) => ({ hash: `hash-${n}`, hashKeyId: 'k1', hint: `kh_x_…000${n}` });

const runUntilCaughtUp = async (events: EventStore, checkpoints: CheckpointStore, projection: Projection) => {
  const runner = new ProjectionRunner(events, checkpoints, projection, silent);
  await runner.start();
  expect(await runner.waitFor((await events.headPosition())!, 5000)).toBe(true);
  await runner.stop();
};

describe('Connection, integration and tenant-settings projections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-conn-views-'));
  const events = new SqliteEventStore(join(dir, 'events.sqlite'));
  const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
  const tenantId = randomUUID();
  const [kept, deleted, integrationId] = [randomUUID(), randomUUID(), randomUUID()];
  const connections = readModels.collection<ConnectionView>(CONNECTIONS);
  const integrations = readModels.collection<IntegrationView>(INTEGRATIONS);
  const settings = readModels.collection<TenantSettingsView>(TENANT_SETTINGS);
  const context = (now: string) => ({ tenantId, actorId: 'admin', correlationId: 'c', causationId: 'c', now });
  const onConnection = (command: ConnectionCommand) =>
    handleCommand(events, streamName('connection', command.connectionId), connectionDecider, command, context(command.now));
  const onIntegrations = (command: IntegrationCommand) =>
    handleCommand(events, streamName('integrations', tenantId), integrationsDecider, command, context(command.now));
  const projections = () => [connectionsProjection(readModels), integrationsProjection(readModels), tenantSettingsProjection(readModels)];

  beforeAll(async () => {
    for (const connectionId of [kept, deleted]) {
      await onConnection({
        type: 'CreateConnection',
        tenantId,
        connectionId,
        name: 'Shop',
        service: 'shopify',
        allowedDomains: ['*.myshopify.com', 'accounts.shopify.com'],
        credential: { type: 'oauth2', clientId: 'c1', tokenUrl: 'https://accounts.shopify.com/token', scopes: ['read'] },
        secrets: { clientSecret: sealed(1) },
        dataKeyId: 'dk',
        createdBy: 'admin',
        now: T0,
      });
    }
    await onConnection({ type: 'UpdateConnection', tenantId, connectionId: kept, name: 'Shop (prod)', credential: { clientId: 'c2' }, secrets: { refreshToken: sealed(2) }, updatedBy: 'admin', now: T1 });
    await onConnection({ type: 'UseConnectionCredential', tenantId, connectionId: kept, targetDomain: 'acme.myshopify.com', accessedBy: 'svc', actorKind: 'service_account', credentialId: 'at', now: T1 });
    await onConnection({ type: 'DeleteConnection', tenantId, connectionId: deleted, deletedBy: 'admin', now: T1 });
    // Last in each stream, events the views show nothing of: they still move the stream's revision.
    await onConnection({ type: 'RecordAccessTokenFetch', tenantId, connectionId: kept, host: 'accounts.shopify.com', attempts: 1, outcome: { fetched: false, reason: 'timeout' }, now: T1 });
    await onIntegrations({
      type: 'CreateIntegration',
      tenantId,
      integrationId,
      name: 'ERP',
      email: 'ops@erp.example',
      // No callback URL: activation issues the four secrets at once (with one, the OAuth 1.0a handshake does).
      callbackUrl: null,
      identityLinkUrl: 'http://erp.example/login',
      resourceAccess: 'custom',
      resources: ['users.read'],
      createdBy: 'admin',
      now: T0,
    });
    await onIntegrations({ type: 'ActivateIntegration', integrationId, consumerKey: hashed(1), consumerSecret: hashed(2), accessToken: { ...hashed(3), id: 'at-1' }, accessTokenSecret: hashed(4), sealed: { dataKeyId: 'dk', consumerSecret: sealed(2), accessTokenSecret: sealed(4) }, verifier: hashed(7), returnState: hashed(8), activatedBy: 'admin', now: T0 });
    await onIntegrations({ type: 'ReauthorizeIntegration', integrationId, accessToken: { ...hashed(5), id: 'at-2' }, accessTokenSecret: hashed(6), sealedAccessTokenSecret: sealed(6), reauthorizedBy: 'admin', now: T1 });
    await onIntegrations({ type: 'RecordIntegrationCallback', integrationId, host: 'erp.example', attempts: 1, outcome: { delivered: false, reason: 'timeout' }, now: T1 });
    const onSettings = (command: TenantSettingsCommand) => handleCommand(events, streamName('tenantSettings', tenantId), tenantSettingsDecider, command, context(command.now));
    await onSettings({ type: 'SetClientSecretMaxLifetime', tenantId, maxDays: 30, changedBy: 'admin', now: T0 });
    await onSettings({ type: 'SetAnonymousGuestAccess', tenantId, allowed: true, changedBy: 'admin', now: T1 });
    for (const projection of projections()) await runUntilCaughtUp(events, readModels, projection);
  });

  afterAll(async () => {
    await readModels.close();
    await events.close();
  });

  it('show a connection’s settings and which secrets are set, never a ciphertext', async () => {
    const view = await connections.get(kept);
    expect(view).toMatchObject({
      tenantId,
      name: 'Shop (prod)',
      credentialType: 'oauth2',
      settings: { clientId: 'c2', tokenUrl: 'https://accounts.shopify.com/token', scopes: ['read'] },
      secretsSet: ['clientSecret', 'refreshToken'],
      status: 'active',
      lastAccessedAt: T1,
      lastAccessedBy: 'svc',
      streamRevision: 3,
    });
    expect(JSON.stringify(view)).not.toMatch(/ciphertext|iv-|tag-|dk/);
    expect(await connections.get(deleted)).toMatchObject({ status: 'deleted', deletedAt: T1, secretsSet: [] });
  });

  it('show an integration with hints of its current secrets, never a hash', async () => {
    const view = await integrations.get(integrationId);
    expect(view).toMatchObject({
      status: 'active',
      insecure: true,
      accessTokenId: 'at-2',
      hints: { consumerKey: 'kh_x_…0001', consumerSecret: 'kh_x_…0002', accessToken: 'kh_x_…0005', accessTokenSecret: 'kh_x_…0006' },
      reauthorizedAt: T1,
    });
    expect(JSON.stringify(view)).not.toContain('hash-');
    expect(await settings.get(tenantId)).toMatchObject({ allowAnonymousGuestAccess: true, clientSecretMaxLifetimeDays: 30, updatedAt: T1, updatedBy: 'admin' });
  });

  it("keep their stream's revision, the ETag, also from events they show nothing of", async () => {
    const head = async (stream: string) => (await events.readStream(stream)).at(-1)?.streamRevision;
    expect((await connections.get(kept))?.streamRevision).toBe(await head(streamName('connection', kept)));
    expect((await integrations.get(integrationId))?.streamRevision).toBe(await head(streamName('integrations', tenantId)));
  });

  it('give the same read models when every event is applied again (run twice, nothing changes)', async () => {
    const before = [await connections.get(kept), await connections.get(deleted), await integrations.get(integrationId), await settings.get(tenantId)];
    for (const projection of projections()) await runUntilCaughtUp(events, IN_MEMORY_CHECKPOINTS, projection);
    expect([await connections.get(kept), await connections.get(deleted), await integrations.get(integrationId), await settings.get(tenantId)]).toEqual(before);
  });
});
