import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describeWithServer } from '../../../../test/support/real-server';
import { describeReadModelStoreContract } from '../testing/read-model-store.contract';
import { ReadModelCollection } from '../read-model-store.port';
import { MongoReadModelStore } from './mongo-read-model-store';

type Row = { id: string; expiresAt: string | null };

describeWithServer('MONGO_URL', 'MongoReadModelStore', (url) => {
  const databaseName = `keyhold_contract_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const fresh = () => `adapter_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let store: MongoReadModelStore;

  beforeAll(async () => {
    store = await MongoReadModelStore.connect(url, databaseName);
  });
  afterAll(async () => {
    await store.close();
    const client = await MongoClient.connect(url);
    await client.db(databaseName).dropDatabase();
    await client.close();
  });

  /** One collection as this process and another one (a store of its own) see it. */
  const withAnotherProcess = async (test: (mine: ReadModelCollection<Row>, theirs: ReadModelCollection<Row>) => Promise<void>) => {
    const other = await MongoReadModelStore.connect(url, databaseName);
    try {
      const name = fresh();
      await test(store.collection<Row>({ name, indexes: [] }), other.collection<Row>({ name, indexes: [] }));
    } finally {
      await other.close();
    }
  };

  describeReadModelStoreContract('MongoDB', () => MongoReadModelStore.connect(url, databaseName));

  // mongo-java-server applies each upsert whole, so only a real mongod can race the two halves.
  it('keeps the newest of concurrent first writes to one document', async () => {
    const rows = store.collection<Row>({ name: fresh(), indexes: [] });
    const versions = Array.from({ length: 8 }, (_, n) => String(n + 1).padStart(20, '0'));
    const wrote = await Promise.all(versions.map((version) => rows.putIfNewer({ id: 'row', expiresAt: version }, version)));
    expect(wrote[wrote.length - 1]).toBe(true);
    expect(await rows.get('row')).toEqual({ id: 'row', expiresAt: versions[versions.length - 1] });
  });

  it('keeps the newest of each document when two processes write the same documents', () =>
    withAnotherProcess(async (mine, theirs) => {
      const ids = Array.from({ length: 20 }, (_, n) => `row-${n}`);
      // Each process writes every document at interleaved versions, in opposite orders, all at once.
      const version = (n: number) => String(n).padStart(20, '0');
      const writes = ids.flatMap((id, n) => [
        ...[1, 3, 5].map((v) => () => mine.putIfNewer({ id, expiresAt: version(v + n) }, version(v + n))),
        ...[6, 4, 2].map((v) => () => theirs.putIfNewer({ id, expiresAt: version(v + n) }, version(v + n))),
      ]);
      await Promise.all(writes.map((write) => write()));
      for (const [n, id] of ids.entries()) expect(await mine.get(id)).toEqual({ id, expiresAt: version(6 + n) });
      expect(await theirs.putIfNewer({ id: 'row-0', expiresAt: 'stale' }, version(5))).toBe(false);
    }));

  it('writes a batch of new documents and of documents it read in one bulk write per collection, reading nothing more, and the checkpoints of batches in a row once', async () => {
    const monitored = await MongoReadModelStore.connect(url, databaseName, { monitorCommands: true });
    const name = fresh();
    const rows = monitored.collection<Row>({ name, indexes: [] });
    const commands: string[] = [];
    try {
      await rows.putIfNewer({ id: 'old', expiresAt: null }, '1');
      await monitored.saveCheckpoint('rows', '1');
      // The adapter keeps its client to itself; the test listens to the driver's command events on it.
      (monitored as unknown as { client: MongoClient }).client.on('commandStarted', (event) => commands.push(`${event.commandName} ${event.command[event.commandName]}`));
      await monitored.batch(async () => {
        const old = await rows.get('old');
        await rows.putIfNewer({ id: 'old', expiresAt: `${old?.expiresAt}-changed` }, '2');
        await rows.putIfNewer({ id: 'new', expiresAt: null }, '2');
        await monitored.saveCheckpoint('rows', '2');
      });
      await monitored.batch(async () => {
        await rows.putIfNewer({ id: 'new', expiresAt: 'later' }, '3');
        await monitored.saveCheckpoint('rows', '3');
      });
      expect(await monitored.getCheckpoint('rows')).toBe('3');
    } finally {
      await monitored.close();
    }
    const collection = `rm_${name}`;
    // The get, the first batch's documents (the driver sends a bulk write's inserts and its replaces
    // as a command each), the second's, and the checkpoint of both, written after their documents.
    expect(commands.filter((command) => !command.startsWith('endSessions'))).toEqual([
      `find ${collection}`,
      `insert ${collection}`,
      `update ${collection}`,
      `update ${collection}`,
      'update checkpoints',
    ]);
    const stored = store.collection<Row>({ name, indexes: [] });
    expect([await stored.get('old'), await stored.get('new')]).toEqual([
      { id: 'old', expiresAt: 'null-changed' },
      { id: 'new', expiresAt: 'later' },
    ]);
    expect(await store.getCheckpoint('rows')).toBe('3');
  });

  it('writes a batch only over older versions of documents that another process wrote meanwhile', () =>
    withAnotherProcess(async (mine, theirs) => {
      await mine.putIfNewer({ id: 'known', expiresAt: 'mine' }, '1');
      await theirs.putAllIfNewer(['known', 'unknown', 'older'].map((id) => ({ doc: { id, expiresAt: 'theirs' }, version: '5' })));
      // 'known' is believed to be at version 1 here, the other two absent: none of that holds any more.
      await mine.putAllIfNewer([
        { doc: { id: 'known', expiresAt: 'mine' }, version: '3' },
        { doc: { id: 'unknown', expiresAt: 'mine' }, version: '7' },
        { doc: { id: 'older', expiresAt: 'mine' }, version: '4' },
        { doc: { id: 'absent', expiresAt: 'mine' }, version: '2' },
      ]);
      expect(await Promise.all(['known', 'unknown', 'older', 'absent'].map((id) => mine.get(id)))).toEqual([
        { id: 'known', expiresAt: 'theirs' },
        { id: 'unknown', expiresAt: 'mine' },
        { id: 'older', expiresAt: 'theirs' },
        { id: 'absent', expiresAt: 'mine' },
      ]);
    }));

  it('writes over documents it never saw, stored by another process, in one read and one bulk write more, not round trips per document', async () => {
    const name = fresh();
    const ids = Array.from({ length: 20 }, (_, n) => `row-${n}`);
    await store.collection<Row>({ name, indexes: [] }).putAllIfNewer(ids.map((id) => ({ doc: { id, expiresAt: 'before' }, version: '1' })));
    // A process started after those writes (an API node flushing its tokens' last use after a restart).
    const restarted = await MongoReadModelStore.connect(url, databaseName, { monitorCommands: true });
    const commands: string[] = [];
    try {
      const rows = restarted.collection<Row>({ name, indexes: [] });
      // The adapter keeps its client to itself; the test listens to the driver's command events on it.
      (restarted as unknown as { client: MongoClient }).client.on('commandStarted', (event) => commands.push(`${event.commandName} ${event.command[event.commandName]}`));
      await rows.putAllIfNewer([...ids.map((id) => ({ doc: { id, expiresAt: 'after' }, version: '2' })), { doc: { id: 'new', expiresAt: 'after' }, version: '2' }]);
    } finally {
      await restarted.close();
    }
    const collection = `rm_${name}`;
    // Every insert but the new document's loses to the stored ones; they are read and replaced together
    // (the guard index is made once per process, before the first write).
    const sent = commands.filter((command) => !command.startsWith('endSessions') && !command.startsWith('createIndexes'));
    expect(sent).toEqual([`insert ${collection}`, `find ${collection}`, `update ${collection}`]);
    const stored = store.collection<Row>({ name, indexes: [] });
    expect(await Promise.all([...ids, 'new'].map((id) => stored.get(id)))).toEqual([...ids, 'new'].map((id) => ({ id, expiresAt: 'after' })));
  });

  it("holds only the writes of a batch's own work: those made meanwhile elsewhere go straight to the server", async () => {
    const rows = store.collection<Row>({ name: fresh(), indexes: [] });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batch = store.batch(async () => {
      await rows.putIfNewer({ id: 'held', expiresAt: null }, '1');
      await gate;
    });
    expect(await rows.putIfNewer({ id: 'direct', expiresAt: null }, '1')).toBe(true);
    expect(await rows.get('direct')).toEqual({ id: 'direct', expiresAt: null });
    expect(await rows.get('held')).toBeNull();
    release();
    await batch;
    expect(await rows.get('held')).toEqual({ id: 'held', expiresAt: null });
  });

  it('pages through null sort values, which MongoDB orders first', async () => {
    const rows = store.collection<Row>({ name: fresh(), indexes: [['expiresAt']] });
    const expiries = [null, '2026-03-01', null, '2026-01-01', null, '2026-02-01'];
    for (const [n, expiresAt] of expiries.entries()) await rows.putIfNewer({ id: `row-${n}`, expiresAt }, '1');
    for (const direction of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Row[]; nextCursor: string | null } = await rows.list({
          where: {},
          orderBy: 'expiresAt',
          direction,
          limit: 2,
          cursor,
        });
        seen.push(...page.items.map((row) => row.id));
        cursor = page.nextCursor;
      } while (cursor);
      const ascending = ['row-0', 'row-2', 'row-4', 'row-3', 'row-5', 'row-1'];
      expect(seen).toEqual(direction === 'asc' ? ascending : [...ascending].reverse());
    }
  });

  it('fails within seconds, naming the server but not its credentials, when it is unreachable', async () => {
    const started = Date.now();
    const connecting = MongoReadModelStore.connect('mongodb://keyhold:s3cret@127.0.0.1:1/?authSource=admin', databaseName);
    await expect(connecting).rejects.toThrow(/^Cannot connect to MongoDB at mongodb:\/\/127\.0\.0\.1:1\/: /);
    await expect(connecting).rejects.not.toThrow(/s3cret/);
    // About 5 s of server selection plus slack for a busy machine; the driver's default is 30 s.
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
