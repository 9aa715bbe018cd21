import { AsyncLocalStorage } from 'node:async_hooks';
import { LRUCache } from 'lru-cache';
import { Collection, Db, Filter, MongoBulkWriteError, MongoClient, MongoClientOptions, MongoServerError } from 'mongodb';
import {
  CollectionDefinition,
  decodeCursor,
  encodeCursor,
  FieldValue,
  ListQuery,
  Page,
  ReadModelCollection,
  ReadModelDocument,
  ReadModelStore,
} from '../read-model-store.port';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COLLECTION_NAME = /^[a-z][a-z0-9_]*$/;
const DUPLICATE_KEY = 11000;

/** The document is kept whole under `doc`, so `get` answers exactly what was put. */
type Stored = { _id: string; version: string; doc: ReadModelDocument };
type Checkpoint = { _id: string; position: string };

/** Field names become query paths, so `$` operators and dotted paths are refused. */
const docPath = (name: string) => {
  if (!FIELD_NAME.test(name)) throw new Error(`Invalid field name '${name}'.`);
  return `doc.${name}`;
};

/** Errors may be logged: keep the address, drop user:password and options. */
const withoutCredentials = (url: string) => url.replace(/\/\/[^/?#]*@/, '//').replace(/[?#].*$/, '');

/**
 * How many documents' last-seen versions each collection remembers, to write them in one round
 * trip. Few: the write that follows a read (patchIfNewer) comes at once, and an API node at 1M
 * tokens is near its memory goal (about 200 bytes an entry, in each collection).
 */
const KNOWN_VERSIONS = 1_000;

/**
 * How long the checkpoints of a batch may wait, their documents written, to be written together
 * with those of the batches after it. Written at the end of every batch, the read models' dozen
 * checkpoints were a second sequential round trip for every live page, and as many writes for
 * the server as a page of a few events had documents. A crash replays at most this much more of
 * the log, which the projections' guards make harmless.
 */
const CHECKPOINT_WRITE_DELAY_MS = 250;

const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === DUPLICATE_KEY;

/** One guarded write: document `id` becomes `fields` if `value` sorts after its stored guard. */
type GuardedWrite = { readonly id: string; readonly value: string; readonly fields: Record<string, unknown> };

/**
 * Writes documents only forward: each holds a guard field (a version or a position) that a write
 * must sort after (as text). Every operation names the document by `_id` alone, or by `_id` and
 * the guard's exact value, so it is served by an index on any MongoDB: mongo-java-server uses an
 * index only for equality on all of a unique index's fields, and scanned the whole collection for
 * the former `{_id, guard: {$lt}}` upsert (3 ms at 1k documents, 28 ms at 20k: each write was
 * O(collection)). Hence the unique `{_id, guard}` index, which a real MongoDB does not need (its
 * `_id` index serves these filters) but keeps at the cost of one more index entry per write.
 *
 * A write is a compare-and-set: insert when absent (a concurrent first insert fails on the unique
 * `_id`), else replace where the guard still has the value read (a concurrent write makes it match
 * nothing). Either loss reads again and decides again; stored guards only grow, so it ends. The
 * guard last seen of recent documents is kept, so that a known document is replaced, and a new
 * one inserted, in one round trip.
 */
class GuardedWrites {
  private indexed?: Promise<unknown>;
  private readonly known = new LRUCache<string, string>({ max: KNOWN_VERSIONS });

  constructor(
    readonly collection: Collection<{ _id: string }>,
    private readonly guard: string,
  ) {}

  /** The guard index, made on first use, once per process; a failed attempt is tried again next time. */
  ready(): Promise<unknown> {
    this.indexed ??= this.collection.createIndex({ _id: 1, [this.guard]: 1 }, { unique: true }).catch((error: unknown) => {
      this.indexed = undefined;
      throw error;
    });
    return this.indexed;
  }

  /** Forgets what was seen: after `clear`, stored guards no longer only grow. */
  forget(): void {
    this.known.clear();
  }

  /** What a reader saw stored: the next write of that document starts from it. */
  saw(id: string, value: string | undefined): void {
    if (value === undefined) this.known.delete(id);
    else this.known.set(id, value);
  }

  async writeIfNewer({ id, value, fields }: GuardedWrite): Promise<boolean> {
    await this.ready();
    let stored = this.known.get(id);
    // What was seen is a hint for the compare-and-set, never a reason to refuse: confirm that.
    if (stored !== undefined && stored >= value) stored = await this.storedGuard(id);
    for (;;) {
      if (stored !== undefined && stored >= value) return false;
      if (await this.compareAndSet(id, stored, fields)) {
        this.known.set(id, value);
        return true;
      }
      stored = await this.storedGuard(id);
    }
  }

  /**
   * Several writes (distinct ids) in one unordered bulk write, with no read before it: a document
   * whose guard is known is replaced where it still has that guard, any other is inserted (new
   * documents, which is what a live page mostly writes). Only a write that the known guard would
   * refuse reads the stored guard first, since what was seen is never a reason to refuse. Reading
   * every page's guards first cost a sequential round trip per collection per page.
   *
   * Writes that lost (an insert of a document that exists, a replace of one that moved on, whether
   * to another writer or to a write this process forgot) are decided again together: one read of
   * their stored guards, one bulk write of those still newer, until none loses (stored guards only
   * grow, so it ends). Those the bulk write did make are no-ops then. Redone one by one, each lost
   * write was three sequential round trips: an API node's first usage flush after a start, over
   * the 557 documents its previous run had stored, sent 1 + 3 × 557 commands and took 1.5-1.7 ms
   * of its CPU per document (2.5-4.3 s); it sends 3, at 94-116 µs per document (0.2-0.4 s).
   */
  async writeAllIfNewer(writes: readonly GuardedWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.ready();
    const guards = new Map(writes.map((write) => [write.id, this.known.get(write.id)]));
    let pending = writes;
    let unsure = writes.filter((write) => (guards.get(write.id) ?? '') >= write.value);
    for (;;) {
      if (unsure.length > 0) {
        const stored = await this.storedGuards(unsure.map((write) => write.id));
        for (const write of unsure) guards.set(write.id, stored.get(write.id));
      }
      const newer = pending.filter((write) => (guards.get(write.id) ?? '') < write.value);
      if (newer.length === 0) return;
      if (await this.bulkCompareAndSet(newer, guards)) {
        for (const write of newer) this.known.set(write.id, write.value);
        return;
      }
      // What was believed stored is forgotten: each is decided again from what the store holds.
      for (const write of newer) this.known.delete(write.id);
      pending = newer;
      unsure = newer;
    }
  }

  /** Answers whether every write of `writes` was made; `guards` holds the guard believed stored of each (undefined: absent). */
  private async bulkCompareAndSet(writes: readonly GuardedWrite[], guards: ReadonlyMap<string, string | undefined>): Promise<boolean> {
    const replacing = writes.filter((write) => guards.get(write.id) !== undefined).length;
    try {
      const result = await this.collection.bulkWrite(
        writes.map(({ id, fields }) => {
          const guard = guards.get(id);
          return guard === undefined
            ? { insertOne: { document: { _id: id, ...fields } } }
            : { replaceOne: { filter: { _id: id, [this.guard]: guard }, replacement: fields } };
        }),
        { ordered: false },
      );
      return result.matchedCount === replacing && result.insertedCount === writes.length - replacing;
    } catch (error) {
      if (error instanceof MongoBulkWriteError && [error.writeErrors].flat().every((failed) => failed.code === DUPLICATE_KEY)) return false;
      throw error;
    }
  }

  private async storedGuards(ids: readonly string[]): Promise<Map<string, string>> {
    const found = await this.collection.find({ _id: { $in: [...ids] } }, { projection: { [this.guard]: 1 } }).toArray();
    return new Map(found.map((doc) => [doc._id, (doc as Record<string, unknown>)[this.guard] as string]));
  }

  /** Answers whether it wrote; `stored` is the guard believed stored, undefined for "absent". */
  private async compareAndSet(id: string, stored: string | undefined, fields: Record<string, unknown>): Promise<boolean> {
    if (stored === undefined) {
      try {
        await this.collection.insertOne({ _id: id, ...fields });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    }
    const result = await this.collection.replaceOne({ _id: id, [this.guard]: stored }, fields);
    return result.matchedCount === 1;
  }

  private async storedGuard(id: string): Promise<string | undefined> {
    return (await this.storedGuards([id])).get(id);
  }
}

/** A document as a batch knows it: its guard (undefined: absent), its fields, and whether the batch changed it. */
type Buffered = { value: string | undefined; fields: Record<string, unknown> | null; dirty: boolean };

/**
 * The writes of one `batch`, held until it ends and then made as one read and one unordered bulk
 * write per collection, instead of a round trip or two per write: a catch-up slice's hundreds of
 * writes in a few round trips. Reads inside the batch see its writes (and what it read before);
 * a `list` inside it first writes what is held, since the query runs on the server.
 */
class BatchBuffer {
  private readonly held = new Map<GuardedWrites, Map<string, Buffered>>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly checkpoints: GuardedWrites) {}

  known(target: GuardedWrites, id: string): Buffered | undefined {
    return this.held.get(target)?.get(id);
  }

  /** What a read found, unless a write of the batch got there meanwhile. */
  remember(target: GuardedWrites, id: string, value: string | undefined, fields: Record<string, unknown> | null): void {
    const entries = this.entriesOf(target);
    if (!entries.has(id)) entries.set(id, { value, fields, dirty: false });
  }

  /** Holds the write if it is newer than what the batch knows of the document; the store's own newer guard still wins at the flush. */
  put(target: GuardedWrites, { id, value, fields }: GuardedWrite): boolean {
    const entries = this.entriesOf(target);
    const current = entries.get(id)?.value;
    if (current !== undefined && current >= value) return false;
    entries.set(id, { value, fields, dirty: true });
    return true;
  }

  forget(target: GuardedWrites): void {
    this.held.delete(target);
  }

  /** Writes what is held, one flush after another, so that no flush overtakes an earlier one. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeHeld());
    return this.flushing;
  }

  /**
   * The checkpoints the batch saved, once: the store writes them after the batch's documents
   * (`MongoReadModelStore.batch`), so that one is never stored ahead of the writes it covers.
   */
  takeCheckpoints(): GuardedWrite[] {
    const writes: GuardedWrite[] = [];
    for (const [id, entry] of this.held.get(this.checkpoints) ?? []) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      writes.push({ id, value: entry.value!, fields: entry.fields! });
    }
    return writes;
  }

  /** The documents held; the checkpoints wait for the batch's end (`takeCheckpoints`). */
  private async writeHeld(): Promise<void> {
    const pending = [...this.held].filter(([target]) => target !== this.checkpoints).map(([target, entries]) => {
      const writes: GuardedWrite[] = [];
      for (const [id, entry] of entries) {
        if (!entry.dirty) continue;
        entry.dirty = false;
        writes.push({ id, value: entry.value!, fields: entry.fields! });
      }
      return { target, writes };
    });
    await Promise.all(pending.map(({ target, writes }) => target.writeAllIfNewer(writes)));
  }

  private entriesOf(target: GuardedWrites): Map<string, Buffered> {
    let entries = this.held.get(target);
    if (!entries) {
      entries = new Map();
      this.held.set(target, entries);
    }
    return entries;
  }
}

/**
 * Keyset condition for the page after (sortValue, id). `$gt`/`$lt` only compare values of one
 * type and null sorts before everything, so the null end of the order is spelled out.
 */
const after = (path: string, direction: 'asc' | 'desc', sortValue: FieldValue, id: string): Filter<Stored> => {
  const beyond = direction === 'asc' ? '$gt' : '$lt';
  const tie = { [path]: sortValue, _id: { [beyond]: id } };
  if (sortValue === null) return direction === 'asc' ? { $or: [{ [path]: { $ne: null } }, tie] } : tie;
  const nullsLast = direction === 'desc' ? [{ [path]: null }] : [];
  return { $or: [{ [path]: { [beyond]: sortValue } }, tie, ...nullsLast] };
};

class MongoCollection<T extends ReadModelDocument> implements ReadModelCollection<T> {
  private indexed?: Promise<unknown>;
  private readonly guarded: GuardedWrites;

  constructor(
    private readonly collection: Collection<Stored>,
    private readonly indexes: ReadonlyArray<readonly string[]>,
    private readonly currentBatch: () => BatchBuffer | undefined,
  ) {
    indexes.flat().forEach(docPath);
    this.guarded = new GuardedWrites(collection as unknown as Collection<{ _id: string }>, 'version');
  }

  /** Indexes are made on first use, once per process; a failed attempt is tried again next time. */
  private ready(): Promise<unknown> {
    this.indexed ??= Promise.all(
      this.indexes.map((fields) =>
        this.collection.createIndex(Object.fromEntries([...fields.map((name) => [docPath(name), 1]), ['_id', 1]])),
      ),
    ).catch((error: unknown) => {
      this.indexed = undefined;
      throw error;
    });
    return this.indexed;
  }

  async get(id: string): Promise<T | null> {
    const batch = this.currentBatch();
    const held = batch?.known(this.guarded, id);
    if (held) return held.fields ? (held.fields.doc as T) : null;
    await this.ready();
    const found = await this.collection.findOne({ _id: id }, { projection: { doc: 1, version: 1 } });
    this.guarded.saw(id, found?.version);
    batch?.remember(this.guarded, id, found?.version, found ? { version: found.version, doc: found.doc } : null);
    return found ? (found.doc as T) : null;
  }

  async putIfNewer(doc: T, version: string): Promise<boolean> {
    const write = { id: doc.id, value: version, fields: { version, doc } };
    const batch = this.currentBatch();
    if (batch) return batch.put(this.guarded, write);
    await this.ready();
    return this.guarded.writeIfNewer(write);
  }

  async putAllIfNewer(entries: ReadonlyArray<{ readonly doc: T; readonly version: string }>): Promise<void> {
    const writes = entries.map(({ doc, version }) => ({ id: doc.id, value: version, fields: { version, doc } }));
    const batch = this.currentBatch();
    if (batch) {
      for (const write of writes) await batch.put(this.guarded, write);
      return;
    }
    await this.ready();
    await this.guarded.writeAllIfNewer(writes);
  }

  async list(query: ListQuery<T>): Promise<Page<T>> {
    const sort = docPath(query.orderBy);
    const filter: Filter<Stored> = Object.fromEntries(
      Object.entries(query.where).map(([name, value]) => [docPath(name), value]),
    );
    const conditions: Filter<Stored>[] = [];
    if (query.range) {
      const { from, to } = query.range;
      // `{ field: {} }` would match an empty object, so each bound is a condition of its own.
      if (from !== undefined) conditions.push({ [docPath(query.range.field)]: { $gte: from } });
      if (to !== undefined) conditions.push({ [docPath(query.range.field)]: { $lt: to } });
    }
    if (query.anyOf) conditions.push({ [docPath(query.anyOf.field)]: { $in: [...query.anyOf.values] } });
    if (query.cursor) {
      const { sortValue, id } = decodeCursor(query.cursor);
      conditions.push(after(sort, query.direction, sortValue, id));
    }
    if (conditions.length) filter.$and = conditions;
    const direction = query.direction === 'asc' ? 1 : -1;
    await this.ready();
    await this.currentBatch()?.flush();
    const rows = await this.collection
      .find(filter, { projection: { doc: 1 } })
      .sort({ [sort]: direction, _id: direction })
      .limit(query.limit + 1)
      .toArray();
    const items = rows.slice(0, query.limit).map((row) => row.doc as T);
    const last = items[items.length - 1];
    const nextCursor = rows.length > query.limit && last ? encodeCursor(last[query.orderBy], last.id) : null;
    return { items, nextCursor };
  }

  async removeBefore(field: keyof T & string, value: string | number): Promise<number> {
    await this.ready();
    return (await this.collection.deleteMany({ [docPath(field)]: { $lt: value } })).deletedCount;
  }

  async clear(): Promise<void> {
    const batch = this.currentBatch();
    await batch?.flush();
    await this.collection.deleteMany({});
    batch?.forget(this.guarded);
    this.guarded.forget();
  }
}

/**
 * Read models on MongoDB through the 6.x driver. Uses single-document atomic operations only (no
 * sessions or transactions), which the mongo-java-server stand-in in the tests also supports; so a
 * `batch` is not a transaction but a buffer, flushed when its work ends (see `batch`).
 */
export class MongoReadModelStore implements ReadModelStore {
  private readonly collections = new Map<string, MongoCollection<ReadModelDocument>>();
  private readonly checkpoints: GuardedWrites;
  /** The batch whose work is running, per async context: writes from elsewhere (a request, a timer) go straight to the server. */
  private readonly batches = new AsyncLocalStorage<BatchBuffer>();
  /** Checkpoints of ended batches, by projection, whose documents are written and they not yet. */
  private readonly laterCheckpoints = new Map<string, GuardedWrite>();
  private checkpointTimer?: NodeJS.Timeout;
  private writingCheckpoints: Promise<void> = Promise.resolve();

  /** Fails within seconds, naming the server, when it cannot be reached. */
  static async connect(url: string, databaseName: string, options: MongoClientOptions = {}): Promise<MongoReadModelStore> {
    const client = new MongoClient(url, {
      serverSelectionTimeoutMS: 5_000,
      connectTimeoutMS: 5_000,
      // JSON semantics, like the SQLite store: an undefined field is absent, not null.
      ignoreUndefined: true,
      ...options,
    });
    try {
      await client.connect();
    } catch (error) {
      await client.close();
      throw new Error(`Cannot connect to MongoDB at ${withoutCredentials(url)}: ${(error as Error).message}`, { cause: error });
    }
    return new MongoReadModelStore(client, client.db(databaseName));
  }

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {
    this.checkpoints = new GuardedWrites(db.collection<Checkpoint>('checkpoints') as unknown as Collection<{ _id: string }>, 'position');
  }

  collection<T extends ReadModelDocument>(definition: CollectionDefinition): ReadModelCollection<T> {
    let collection = this.collections.get(definition.name);
    if (!collection) {
      if (!COLLECTION_NAME.test(definition.name)) throw new Error(`Invalid collection name '${definition.name}'.`);
      collection = new MongoCollection(this.db.collection<Stored>(`rm_${definition.name}`), definition.indexes, () => this.batches.getStore());
      this.collections.set(definition.name, collection);
    }
    return collection as unknown as ReadModelCollection<T>;
  }

  async getCheckpoint(projection: string): Promise<string | null> {
    const held = this.batches.getStore()?.known(this.checkpoints, projection);
    if (held) return held.value ?? null;
    const later = this.laterCheckpoints.get(projection);
    if (later) return later.value;
    const found = (await this.checkpoints.collection.findOne({ _id: projection })) as Checkpoint | null;
    // The first save after a start then replaces it without reading it again.
    this.checkpoints.saw(projection, found?.position);
    return found?.position ?? null;
  }

  async saveCheckpoint(projection: string, position: string): Promise<void> {
    const write = { id: projection, value: position, fields: { position } };
    const batch = this.batches.getStore();
    if (batch) batch.put(this.checkpoints, write);
    else await this.checkpoints.writeIfNewer(write);
  }

  /**
   * Holds the writes (and checkpoints) that `work` makes, in its async context only, and makes
   * them when it ends: per collection one unordered bulk write; its checkpoints follow its
   * documents within CHECKPOINT_WRITE_DELAY_MS, with those of the batches after it. Inside, reads see the batch's writes, and `putIfNewer` answers
   * against what the batch knows of the document (a newer one already stored still wins when the
   * batch is written). Work that throws writes nothing, except what a `list` or `clear` inside
   * it had to write first; a flush that fails part-way leaves some documents written and their
   * checkpoints not, which re-applying the events (the guards make it harmless) completes. A
   * batch inside a batch joins it.
   */
  async batch<T>(work: () => Promise<T>): Promise<T> {
    if (this.batches.getStore()) return work();
    const batch = new BatchBuffer(this.checkpoints);
    const result = await this.batches.run(batch, work);
    await batch.flush();
    for (const write of batch.takeCheckpoints()) this.laterCheckpoints.set(write.id, write);
    this.writeCheckpointsSoon();
    return result;
  }

  private writeCheckpointsSoon(): void {
    if (this.checkpointTimer || this.laterCheckpoints.size === 0) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      // One that failed stays held and is tried again with the next ones.
      this.writeLaterCheckpoints().catch(() => this.writeCheckpointsSoon());
    }, CHECKPOINT_WRITE_DELAY_MS);
    this.checkpointTimer.unref();
  }

  /** One write after another, so that none overtakes an earlier one; a checkpoint saved meanwhile stays held. */
  private writeLaterCheckpoints(): Promise<void> {
    this.writingCheckpoints = this.writingCheckpoints
      .catch(() => undefined)
      .then(async () => {
        const writes = [...this.laterCheckpoints.values()];
        await this.checkpoints.writeAllIfNewer(writes);
        for (const write of writes) if (this.laterCheckpoints.get(write.id) === write) this.laterCheckpoints.delete(write.id);
      });
    return this.writingCheckpoints;
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    clearTimeout(this.checkpointTimer);
    // Not written (the server gone): the next start replays from the checkpoints stored, harmlessly,
    // and the shutdown goes on to close the other stores.
    await this.writeLaterCheckpoints().catch(() => undefined);
    await this.client.close();
  }
}
