import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_CLIENT_EVENTS, apiClientDecider, Caller, OPERATOR, ROLE_PERMISSIONS, streamName, tenantSettingsDecider } from '@keyhold/domain';
import { SecretHasher } from '@keyhold/crypto';
import { GlobalPosition, SqliteEventStore } from '@keyhold/event-store';
import { commandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { AddClientSecret } from './add-client-secret';
import { ChangeApiClient } from './change-api-client';
import { CreateApiClient } from './create-api-client';

const DAY_MS = 86_400_000;

/** The API client use cases with no Nest module: a real SQLite log, the plain pipeline, the real hasher. */
describe('API client use cases, constructed by hand', () => {
  let store: SqliteEventStore;
  const tenantId = randomUUID();
  const contextOf = (caller: Caller): RequestContext => ({ actorId: 'admin-1', correlationId: 'c', causationId: 'c', caller });
  const admin = contextOf({ kind: 'user', permissions: ROLE_PERMISSIONS.admin });
  const confirmed: Array<GlobalPosition | null> = [];
  let create: CreateApiClient;
  let addSecret: AddClientSecret;
  let change: ChangeApiClient;

  beforeAll(() => {
    store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-app-')), 'events.sqlite'));
    const pipeline = commandPipeline(store);
    const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
    const settings = { CLIENT_SECRET_MAX_DAYS: 730 };
    create = new CreateApiClient(pipeline, store, hasher, settings);
    addSecret = new AddClientSecret(pipeline, store, hasher, settings);
    change = new ChangeApiClient(pipeline, { confirmRevocation: async (position) => void confirmed.push(position) });
  });
  afterAll(() => store.close());

  const clientOf = async (clientId: string) => readState(store, streamName('apiClient', clientId), apiClientDecider, API_CLIENT_EVENTS);
  const expectLifetime = (expiresAt: string, days: number) => expect(Math.abs(Date.parse(expiresAt) - Date.now() - days * DAY_MS)).toBeLessThan(10_000);

  it('creates a client with its first secret, six months by default; only its hash is in the log', async () => {
    const created = await create.execute({ tenantId, name: 'by hand', context: admin });
    expect(created.clientSecret).toMatch(/^kh_cs_/);
    expectLifetime(created.secretExpiresAt, 180);
    const { state, revision } = await clientOf(created.clientId);
    expect(revision).toBe(1);
    expect(state).toMatchObject({ status: 'active', name: 'by hand', secrets: [{ secretId: created.secretId, status: 'active' }] });
    expect(JSON.stringify(await store.readStream(streamName('apiClient', created.clientId)))).not.toContain(created.clientSecret);
  });

  it("keeps lifetimes within the tenant's maximum as the log has it, naming the input that asked for more", async () => {
    const now = new Date().toISOString();
    await commandPipeline(store).run(
      streamName('tenantSettings', tenantId),
      tenantSettingsDecider,
      { type: 'SetClientSecretMaxLifetime', tenantId, maxDays: 30, changedBy: 'admin-1', now },
      { ...contextOf(OPERATOR), tenantId, now },
    );
    const created = await create.execute({ tenantId, name: 'short-lived', context: admin });
    expectLifetime(created.secretExpiresAt, 30);
    const invalid = { kind: 'invalid', field: 'lifetimeDays', message: "lifetimeDays must be at most 30 days (the tenant's maximum)" };
    await expect(addSecret.execute({ tenantId, clientId: created.clientId, lifetimeDays: 31, context: admin })).rejects.toMatchObject({ failure: invalid });
    await expect(create.execute({ tenantId, name: 'too long', secretLifetimeDays: 31, context: admin })).rejects.toMatchObject({
      failure: { kind: 'invalid', field: 'secretLifetimeDays' },
    });
    expect((await clientOf(created.clientId)).revision).toBe(1);
  });

  it('changes a client at the revision the caller saw, and refuses a stale one without writing', async () => {
    const created = await create.execute({ tenantId, name: 'conditional', context: admin });
    const { revision } = await clientOf(created.clientId);
    await change.execute({ tenantId, clientId: created.clientId, change: { type: 'RenameApiClient', name: 'renamed' }, context: admin, expectedRevision: revision! });
    const stale = { tenantId, clientId: created.clientId, context: admin, expectedRevision: revision! };
    await expect(change.execute({ ...stale, change: { type: 'RenameApiClient', name: 'lost update' } })).rejects.toMatchObject({ failure: { kind: 'stale-revision' } });
    await expect(addSecret.execute(stale)).rejects.toMatchObject({ failure: { kind: 'stale-revision' } });
    const after = await clientOf(created.clientId);
    expect(after.revision).toBe(revision! + 1);
    expect(after.state).toMatchObject({ name: 'renamed', secrets: [{ secretId: created.secretId }] });
  });

  it('answers a secret removal only once this node enforces it', async () => {
    const created = await create.execute({ tenantId, name: 'rotating', context: admin });
    const before = confirmed.length;
    await change.execute({ tenantId, clientId: created.clientId, change: { type: 'RenameApiClient', name: 'narrowing only' }, context: admin });
    expect(confirmed).toHaveLength(before);
    const state = await change.execute({ tenantId, clientId: created.clientId, change: { type: 'RemoveClientSecret', secretId: created.secretId }, context: admin });
    expect(state).toMatchObject({ secrets: [{ secretId: created.secretId, status: 'removed' }] });
    expect(confirmed).toHaveLength(before + 1);
    expect(confirmed.at(-1)).not.toBeNull();
  });

  it("never gives a client roles beyond the caller's own, nor reaches another tenant's client", async () => {
    const created = await create.execute({ tenantId, name: 'guarded', context: admin });
    const member = contextOf({ kind: 'user', permissions: new Set(['clients:read', 'clients:write']) });
    const flows = { type: 'ChangeApiClientFlows' as const, flows: { clientCredentials: true, clientCredentialsRoles: ['admin' as const] } };
    await expect(change.execute({ tenantId, clientId: created.clientId, change: flows, context: member })).rejects.toMatchObject({
      failure: { kind: 'rejected', rejection: { code: 'AuthorityExceeded' } },
    });
    await expect(change.execute({ tenantId: randomUUID(), clientId: created.clientId, change: { type: 'DeleteApiClient' }, context: admin })).rejects.toMatchObject({
      failure: { kind: 'rejected', rejection: { code: 'ApiClientNotFound' } },
    });
    expect((await clientOf(created.clientId)).state).toMatchObject({ status: 'active', flows: { clientCredentials: false } });
  });
});
