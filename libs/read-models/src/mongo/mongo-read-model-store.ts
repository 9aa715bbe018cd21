import { Collection, Db, Filter, MongoClient, MongoClientOptions, MongoServerError } from 'mongodb';
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
 * Sets `set` on document `id` only if its `field` sorts before `value` (as text) or it does not
 * exist, in one atomic upsert, and answers whether it wrote. When the guard fails on an existing
 * document the upsert turns into an insert that the unique `_id` index refuses with E11000, which
 * means "not newer". MongoDB retries such a collision itself only when the filter is equalities on
 * the unique index's fields, which a `$lt` guard is not
 * (https://www.mongodb.com/docs/manual/reference/method/db.collection.update/#upsert-with-duplicate-values);
 * and the collision may be with a concurrent first insert of an older value, so one retry decides:
 * the document exists by then, and stored values only grow.
 */
const upsertIfNewer = async <S extends { _id: string }>(
  collection: Collection<S>,
  id: string,
  field: string,
  value: string,
  set: Partial<S>,
  retry = true,
): Promise<boolean> => {
  try {
    const filter = { _id: id, [field]: { $lt: value } } as Filter<S>;
    const result = await collection.updateOne(filter, { $set: set }, { upsert: true });
    return result.matchedCount + result.upsertedCount > 0;
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    return retry && upsertIfNewer(collection, id, field, value, set, false);
  }
};

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

  constructor(
    private readonly collection: Collection<Stored>,
    private readonly indexes: ReadonlyArray<readonly string[]>,
  ) {
    indexes.flat().forEach(docPath);
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
    await this.ready();
    const found = await this.collection.findOne({ _id: id }, { projection: { doc: 1 } });
    return found ? (found.doc as T) : null;
  }

  async putIfNewer(doc: T, version: string): Promise<boolean> {
    await this.ready();
    return upsertIfNewer(this.collection, doc.id, 'version', version, { version, doc });
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
    await this.collection.deleteMany({});
  }
}

/**
 * Read models on MongoDB through the 6.x driver. Uses single-document atomic operations only (no
 * sessions or transactions), which the mongo-java-server stand-in in the tests also supports.
 */
export class MongoReadModelStore implements ReadModelStore {
  private readonly collections = new Map<string, MongoCollection<ReadModelDocument>>();
  private readonly checkpoints: Collection<Checkpoint>;

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
    this.checkpoints = db.collection<Checkpoint>('checkpoints');
  }

  collection<T extends ReadModelDocument>(definition: CollectionDefinition): ReadModelCollection<T> {
    let collection = this.collections.get(definition.name);
    if (!collection) {
      if (!COLLECTION_NAME.test(definition.name)) throw new Error(`Invalid collection name '${definition.name}'.`);
      collection = new MongoCollection(this.db.collection<Stored>(`rm_${definition.name}`), definition.indexes);
      this.collections.set(definition.name, collection);
    }
    return collection as unknown as ReadModelCollection<T>;
  }

  async getCheckpoint(projection: string): Promise<string | null> {
    const found = await this.checkpoints.findOne({ _id: projection });
    return found?.position ?? null;
  }

  async saveCheckpoint(projection: string, position: string): Promise<void> {
    await upsertIfNewer(this.checkpoints, projection, 'position', position, { position });
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
