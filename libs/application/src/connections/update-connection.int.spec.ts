import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATOR, secretFieldsSet } from '@keyhold/domain';
import { EventStore, SqliteEventStore } from '@keyhold/event-store';
import { DataKeyService, decryptValue, MasterKeyRing, SqliteKeyStore } from '@keyhold/key-store';
import { ApplicationError } from '../application-error';
import { commandPipeline } from '../command-pipeline';
import { CreateConnection } from './create-connection';
import { DeleteConnection } from './delete-connection';
import { UpdateConnection } from './update-connection';

const context = { actorId: 'admin', correlationId: 'c', causationId: 'c', caller: OPERATOR };
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => (error instanceof ApplicationError ? error.failure : error),
  );

/** The use cases as a script or a test runs them: plain classes over a real SQLite log and key store, no Nest. */
describe('UpdateConnection over SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-update-connection-'));
  const store = new SqliteEventStore(join(dir, 'events.sqlite'));
  const reads: string[] = [];
  /** The real store, noting which streams are read: the connection's stream is to be read once per update at most. */
  const events: EventStore = Object.assign(Object.create(store) as EventStore, {
    readStream: (stream: string) => {
      reads.push(stream);
      return store.readStream(stream);
    },
  });
  const dataKeys = new DataKeyService(new SqliteKeyStore(join(dir, 'keys.sqlite')), new MasterKeyRing({ id: 'k1', key: randomBytes(32) }));
  const commands = commandPipeline(events);
  const create = new CreateConnection(commands, dataKeys, { OUTBOUND_ALLOW_LOOPBACK: false });
  const update = new UpdateConnection(commands, dataKeys, events);
  const remove = new DeleteConnection(commands, dataKeys);
  afterAll(() => store.close());

  const apiKeyConnection = (tenantId: string) =>
    create.execute({ tenantId, name: 'CRM', service: 'crm', allowedDomains: ['crm.example'], credential: { type: 'api_key', headerName: 'X-Key' }, secrets: { apiKey: 'first' }, context });

  it('seals a new secret with the connection’s own key, reading its stream once at most', async () => {
    const { connectionId } = await apiKeyConnection('tenant-a');
    reads.length = 0;
    const updated = await update.execute({ tenantId: 'tenant-a', connectionId, changes: { name: 'CRM (prod)' }, secrets: { apiKey: 'second' }, context });
    // Not at all here: without If-Match the pipeline decides on the state this process folded
    // when it created the connection (its append names that revision, so a stale one conflicts).
    expect(reads.filter((stream) => stream === `connection-${connectionId}`).length).toBeLessThanOrEqual(1);
    expect(updated.name).toBe('CRM (prod)');
    const key = await dataKeys.get(connectionId);
    expect(decryptValue(key, 'apiKey', updated.secrets.apiKey!)).toBe('second');
  });

  it("refuses another tenant's connection and a deleted one as the decider does, appending nothing", async () => {
    const { connectionId } = await apiKeyConnection('tenant-a');
    const before = (await store.readStream(`connection-${connectionId}`)).length;
    expect(await failureOf(update.execute({ tenantId: 'tenant-b', connectionId, changes: {}, secrets: { apiKey: 'stolen' }, context }))).toMatchObject({
      kind: 'rejected',
      rejection: { code: 'ConnectionNotFound' },
    });
    expect((await store.readStream(`connection-${connectionId}`)).length).toBe(before);

    await remove.execute({ tenantId: 'tenant-a', connectionId, context });
    expect(await failureOf(update.execute({ tenantId: 'tenant-a', connectionId, changes: {}, secrets: { apiKey: 'late' }, context }))).toMatchObject({
      kind: 'rejected',
      rejection: { code: 'ConnectionDeleted' },
    });
    expect(await failureOf(update.execute({ tenantId: 'tenant-a', connectionId: 'no-such-connection', changes: {}, secrets: { apiKey: 'x' }, context }))).toMatchObject({
      kind: 'rejected',
      rejection: { code: 'ConnectionNotFound' },
    });
  });

  it('changes nothing at a stale expected revision, and applies at the current one', async () => {
    const { connectionId } = await apiKeyConnection('tenant-a');
    const stream = `connection-${connectionId}`;
    const seen = (await store.readStream(stream)).at(-1)!.streamRevision;
    await update.execute({ tenantId: 'tenant-a', connectionId, changes: { name: 'moved on' }, secrets: {}, context });
    const current = await store.readStream(stream);
    expect(await failureOf(update.execute({ tenantId: 'tenant-a', connectionId, changes: { name: 'stale' }, secrets: { apiKey: 'stale' }, context, expectedRevision: seen }))).toMatchObject({
      kind: 'stale-revision',
    });
    expect(await store.readStream(stream)).toHaveLength(current.length);
    const applied = await update.execute({ tenantId: 'tenant-a', connectionId, changes: { name: 'fresh' }, secrets: {}, context, expectedRevision: current.at(-1)!.streamRevision });
    expect(applied.name).toBe('fresh');
    expect(secretFieldsSet(applied.secrets)).toEqual(['apiKey']);
  });
});
