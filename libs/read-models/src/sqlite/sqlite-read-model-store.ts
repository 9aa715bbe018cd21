import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { startedAtBackgroundPriority } from '../cpu-priority';
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

/** Field names reach SQL text (json paths), so only plain identifiers are accepted. */
const LIST_STATEMENTS_KEPT = 64;

const field = (name: string) => {
  if (!FIELD_NAME.test(name)) throw new Error(`Invalid field name '${name}'.`);
  return `json_extract(doc, '$.${name}')`;
};

/** SQLite's json_extract answers 1/0 for JSON booleans. */
const sqlValue = (value: FieldValue) => (typeof value === 'boolean' ? Number(value) : value);

const FIRST_RETRY_MS = 1;
/**
 * A waiting write tries at least this often (a failed try costs microseconds), so that it gets
 * in during the pause a long writer leaves (ROOM_FOR_OTHER_WRITERS_MS). At 100 ms it missed
 * those gaps: a serving node's commands waited 1.3 s behind a 100k rebuild's index builds, which
 * at 1M take seconds each.
 */
const LONGEST_RETRY_MS = 2;
/** How long a long writer (a rebuild between batches and index builds) leaves the write lock free: longer than a waiting write's retry. */
const ROOM_FOR_OTHER_WRITERS_MS = 3 * LONGEST_RETRY_MS;
/** A lock held longer than this is a stuck holder, not a busy one: the write fails, and its caller's own retry takes over. */
const GIVE_UP_AFTER_MS = 60_000;

const lockedByAnother = (error: unknown) => String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY');

/**
 * Runs a write; while another connection holds the write lock (a rebuild in another process, a
 * catch-up thread), tries again a little later with the thread free meanwhile, instead of
 * blocking it in SQLite's busy handler.
 */
const whenUnlocked = async <T>(write: () => T): Promise<T> => {
  const started = Date.now();
  for (let wait = FIRST_RETRY_MS; ; wait = Math.min(wait * 2, LONGEST_RETRY_MS)) {
    try {
      return write();
    } catch (error) {
      if (!lockedByAnother(error) || Date.now() - started > GIVE_UP_AFTER_MS) throw error;
    }
    await sleep(wait);
  }
};

/** How long creating a collection that does not exist yet waits for another connection's write lock. */
const SCHEMA_WAIT_MS = 5000;

/**
 * Runs schema changes waiting in SQLite's busy handler, whatever the connection's own timeout:
 * a collection is made synchronously (a projection asks for it when it is bound), so it cannot
 * retry as `whenUnlocked` does. With the serving node's timeout of 0, `rebuild --all` under load
 * failed at its start with SQLITE_BUSY whenever the node held the lock for a usage write as the
 * CLI created the new generation's tables. Only a table or index that does not exist takes the
 * lock (IF NOT EXISTS on one that does writes nothing), so a serving thread waits here only when
 * it binds a collection first made by itself, at start or on first use.
 */
const waitingInSqlite = (db: Database.Database, change: () => void): void => {
  const own = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${Math.max(own, SCHEMA_WAIT_MS)}`);
  try {
    change();
  } finally {
    db.pragma(`busy_timeout = ${own}`);
  }
};

class SqliteCollection<T extends ReadModelDocument> implements ReadModelCollection<T> {
  private readonly table: string;
  private readonly indexStatements: readonly string[];
  /** Prepared once: projections call these for every event, and preparing costs more than running. */
  private readonly getStatement: Database.Statement<[string], { doc: string }>;
  private readonly putStatement: Database.Statement<[string, string, string]>;
  /** Every entry's put in one transaction (a savepoint inside one already open on this connection). */
  private readonly putAll: Database.Transaction<(entries: ReadonlyArray<{ readonly doc: T; readonly version: string }>) => void>;
  /**
   * List queries by their SQL, prepared once each for the same reason. Their shapes come from
   * code (filters, order, cursor or not, the number of `anyOf` values), so they are few; the
   * bound only keeps a caller with ever new shapes from growing it.
   */
  private readonly listStatements = new Map<string, Database.Statement<FieldValue[], { doc: string }>>();

  constructor(private readonly db: Database.Database, definition: CollectionDefinition) {
    if (!COLLECTION_NAME.test(definition.name)) throw new Error(`Invalid collection name '${definition.name}'.`);
    this.table = `rm_${definition.name}`;
    this.indexStatements = definition.indexes.map(
      (fields, n) => `CREATE INDEX IF NOT EXISTS ${this.table}_ix${n} ON ${this.table} (${fields.map(field).join(', ')}, id)`,
    );
    waitingInSqlite(db, () => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (id TEXT PRIMARY KEY, version TEXT NOT NULL, doc TEXT NOT NULL)`);
      this.createIndexes();
    });
    this.getStatement = db.prepare(`SELECT doc FROM ${this.table} WHERE id = ?`);
    this.putStatement = db.prepare(
      `INSERT INTO ${this.table} (id, version, doc) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, doc = excluded.doc
       WHERE excluded.version > ${this.table}.version`,
    );
    this.putAll = db.transaction((entries) => {
      for (const { doc, version } of entries) this.putStatement.run(doc.id, version, JSON.stringify(doc));
    });
  }

  async get(id: string): Promise<T | null> {
    const row = this.getStatement.get(id);
    return row ? (JSON.parse(row.doc) as T) : null;
  }

  async putIfNewer(doc: T, version: string): Promise<boolean> {
    const json = JSON.stringify(doc);
    return (await whenUnlocked(() => this.putStatement.run(doc.id, version, json))).changes > 0;
  }

  async putAllIfNewer(entries: ReadonlyArray<{ readonly doc: T; readonly version: string }>): Promise<void> {
    if (entries.length === 0) return;
    await whenUnlocked(() => this.putAll(entries));
  }

  async list(query: ListQuery<T>): Promise<Page<T>> {
    const conditions: string[] = [];
    const params: FieldValue[] = [];
    for (const [name, value] of Object.entries(query.where) as [string, FieldValue][]) {
      conditions.push(value === null ? `${field(name)} IS NULL` : `${field(name)} = ?`);
      if (value !== null) params.push(sqlValue(value));
    }
    if (query.range) {
      const { from, to } = query.range;
      if (from !== undefined) {
        conditions.push(`${field(query.range.field)} >= ?`);
        params.push(from);
      }
      if (to !== undefined) {
        conditions.push(`${field(query.range.field)} < ?`);
        params.push(to);
      }
    }
    if (query.anyOf) {
      // An empty list matches nothing, as in MongoDB's $in; `IN ()` is not valid SQL.
      conditions.push(query.anyOf.values.length ? `${field(query.anyOf.field)} IN (${query.anyOf.values.map(() => '?').join(', ')})` : '0');
      params.push(...query.anyOf.values);
    }
    const sort = field(query.orderBy);
    const comparison = query.direction === 'asc' ? '>' : '<';
    if (query.cursor) {
      const { sortValue, id } = decodeCursor(query.cursor);
      conditions.push(`(${sort} ${comparison} ? OR (${sort} = ? AND id ${comparison} ?))`);
      params.push(sqlValue(sortValue), sqlValue(sortValue), id);
    }
    const direction = query.direction === 'asc' ? 'ASC' : 'DESC';
    const rows = this.listStatement(
      `SELECT doc FROM ${this.table} ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY ${sort} ${direction}, id ${direction} LIMIT ${Number(query.limit) + 1}`,
    ).all(...params);
    const items = rows.slice(0, query.limit).map((row) => JSON.parse(row.doc) as T);
    const last = items[items.length - 1];
    const nextCursor = rows.length > query.limit && last ? encodeCursor(last[query.orderBy], last.id) : null;
    return { items, nextCursor };
  }

  private listStatement(sql: string): Database.Statement<FieldValue[], { doc: string }> {
    let statement = this.listStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare<FieldValue[], { doc: string }>(sql);
      if (this.listStatements.size < LIST_STATEMENTS_KEPT) this.listStatements.set(sql, statement);
    }
    return statement;
  }

  async removeBefore(name: keyof T & string, value: string | number): Promise<number> {
    const remove = this.db.prepare(`DELETE FROM ${this.table} WHERE ${field(name)} < ?`);
    return (await whenUnlocked(() => remove.run(value))).changes;
  }

  async clear(): Promise<void> {
    await whenUnlocked(() => this.db.exec(`DELETE FROM ${this.table}`));
  }

  createIndexes(): void {
    for (const statement of this.indexStatements) this.db.exec(statement);
  }

  /** Builds the indexes one at a time (each build holds the write lock throughout), with `pause` after each. */
  async createIndexesPausing(pause: () => Promise<void>): Promise<void> {
    for (const statement of this.indexStatements) {
      await whenUnlocked(() => this.db.exec(statement));
      await pause();
    }
  }

  dropIndexes(): void {
    this.indexStatements.forEach((_, n) => this.db.exec(`DROP INDEX IF EXISTS ${this.table}_ix${n}`));
  }
}

/** How often the checkpointer copies the WAL into the database file. */
const WAL_CHECKPOINT_EVERY_MS = 1000;
/** A WAL longer than this is copied back whole by a long writer between its writes, and cut back to it once it starts over. */
const LONG_WAL_BYTES = 64 * 1024 * 1024;
/**
 * A WAL longer than this the checkpointer copies back whole even while commits go on: a bound on
 * the disk it takes under steady commands, set far above what anything but minutes of them makes
 * (see startCheckpointer), since each time costs the writers a wait.
 */
const RESTART_WAL_BYTES = 1024 * 1024 * 1024;

/**
 * Checkpoints the WAL on a thread of its own, through a connection of its own: a checkpoint
 * copies what the commits since the last one wrote (tens of MiB during a catch-up) and syncs the
 * file, which on the serving thread held it for 60 ms of CPU and more of waiting for the disk,
 * every few seconds while a node caught up. PASSIVE never waits for readers or the writer.
 * At background niceness, as the catch-ups whose writes it mostly copies: at the serving
 * thread's, a serving node's checkpointer copied a rebuild's or a catch-up thread's WAL beside
 * it, in bursts of tens of ms of CPU every second (sys time, pages copied).
 *
 * A WAL longer than `restartWalBytes` it then copies back whole (RESTART), without waiting for
 * the lock, so that the next commit starts it over, cut back to `journal_size_limit`. Under steady
 * commands a PASSIVE pass never ends with every frame copied (commits land while it copies), so
 * SQLite never started the WAL over and it grew by every page committed: 1,289 MiB after 40 s of
 * `POST /v1/tokens` at 870/s, where it stays at 64-82 MiB with a RESTART past 64 MiB. Right after
 * the PASSIVE pass RESTART copies only the commits made during it, but holds the write lock for
 * that long and the sync: at 64 MiB, once a second or two under the bench's commands, the full
 * run's projection lag with a separate worker read 171 ms at p99 where earlier runs read 20-32
 * (not pinned on it: the Kafka + Mongo lag, which it cannot touch, rose as much). So the bound is
 * 1 GiB: a safety valve for sustained load, which a bench window never reaches.
 */
const startCheckpointer = (filename: string, everyMs: number, restartWalBytes: number, onFailure: () => void): Worker => {
  const worker = startedAtBackgroundPriority(() => new Worker(
    `const { workerData } = require('node:worker_threads');
     const { statSync } = require('node:fs');
     const db = new (require(workerData.driver))(workerData.filename);
     db.pragma('busy_timeout = 5000');
     const walIsLong = () => (statSync(workerData.filename + '-wal', { throwIfNoEntry: false })?.size ?? 0) > workerData.restartWalBytes;
     setInterval(() => {
       try {
         db.pragma('wal_checkpoint(PASSIVE)');
         if (walIsLong()) {
           db.pragma('busy_timeout = 0');
           try { db.pragma('wal_checkpoint(RESTART)'); } finally { db.pragma('busy_timeout = 5000'); }
         }
       } catch { /* the next round tries again */ }
     }, workerData.everyMs);`,
    { eval: true, workerData: { driver: require.resolve('better-sqlite3'), filename, everyMs, restartWalBytes } },
  ));
  worker.on('error', onFailure);
  worker.unref();
  return worker;
};

export type SqliteReadModelStoreOptions = {
  /**
   * How long a write may hold its thread in SQLite's busy handler while another connection has
   * the write lock, before it lets go and retries asynchronously. 0 on a thread that serves
   * requests: a rebuild's long commits and index builds then delay its writes, never its answers.
   */
  readonly blockOnLockMs?: number;
  /** Where a long writer makes the WAL start over (`leaveRoomForOtherWriters`); tests make it small. */
  readonly longWalBytes?: number;
  /** Where the checkpointer makes the WAL start over under commits that never pause; tests make it small. */
  readonly restartWalBytes?: number;
  /** How often the checkpointer thread copies the WAL into the file; tests make it short. */
  readonly checkpointEveryMs?: number;
};

/** Embedded read models: a SQLite file of its own, so it can be dropped and rebuilt from the log. */
export class SqliteReadModelStore implements ReadModelStore {
  private readonly db: Database.Database;
  private readonly checkpointer: Worker;
  private readonly walFile: string;
  private readonly longWalBytes: number;
  private readonly blockOnLockMs: number;
  private readonly collections = new Map<string, SqliteCollection<ReadModelDocument>>();
  /** Prepared once: a catch-up saves every projection's checkpoint with each slice it commits. */
  private readonly checkpointStatements: {
    readonly get: Database.Statement<[string], { position: string }>;
    readonly save: Database.Statement<[string, string]>;
  };

  constructor(
    filename: string,
    { blockOnLockMs = 5000, longWalBytes = LONG_WAL_BYTES, restartWalBytes = RESTART_WAL_BYTES, checkpointEveryMs = WAL_CHECKPOINT_EVERY_MS }: SqliteReadModelStoreOptions = {},
  ) {
    this.db = new Database(filename);
    this.walFile = `${filename}-wal`;
    this.longWalBytes = longWalBytes;
    this.blockOnLockMs = Math.max(0, Math.floor(blockOnLockMs));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Catch-ups and rebuilds commit pages of events whose writes land all over the indexes:
    // SQLite's 2 MiB default cache spilled mid-page. 64 MiB: start-up replay of 100k events went
    // from 33 s to about 22 s (workload 6 in `bench/`). The WAL is checkpointed off this thread.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('wal_autocheckpoint = 0');
    this.db.pragma(`journal_size_limit = ${longWalBytes}`);
    this.db.pragma(`busy_timeout = ${this.blockOnLockMs}`);
    this.db.exec('CREATE TABLE IF NOT EXISTS checkpoints (projection TEXT PRIMARY KEY, position TEXT NOT NULL)');
    this.checkpointStatements = {
      get: this.db.prepare('SELECT position FROM checkpoints WHERE projection = ?'),
      save: this.db.prepare(
        `INSERT INTO checkpoints (projection, position) VALUES (?, ?)
         ON CONFLICT (projection) DO UPDATE SET position = excluded.position WHERE excluded.position > checkpoints.position`,
      ),
    };
    // Should the thread fail, this connection checkpoints as it commits, as SQLite does by default.
    this.checkpointer = startCheckpointer(filename, checkpointEveryMs, restartWalBytes, () => this.db.open && this.db.pragma('wal_autocheckpoint = 16384'));
  }

  collection<T extends ReadModelDocument>(definition: CollectionDefinition): ReadModelCollection<T> {
    return this.opened(definition) as unknown as ReadModelCollection<T>;
  }

  async getCheckpoint(projection: string): Promise<string | null> {
    return this.checkpointStatements.get.get(projection)?.position ?? null;
  }

  async saveCheckpoint(projection: string, position: string): Promise<void> {
    await whenUnlocked(() => this.checkpointStatements.save.run(projection, position));
  }

  async batch<T>(work: () => Promise<T>): Promise<T> {
    await whenUnlocked(() => this.db.exec('BEGIN IMMEDIATE'));
    try {
      const result = await work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Indexes kept up row by row cost a rebuild most of its time (each write parses the document
   * once per indexed field and lands all over each index); built once at the end they are a sort.
   * So during `load` the collections have no index; afterwards they are back. Syncing stays as it
   * is (WAL with synchronous=NORMAL: no fsync per commit already): turning it off would let a power
   * loss during a checkpoint corrupt the file, live collections and last-used times included.
   */
  async bulkLoad<T>(collections: readonly CollectionDefinition[], load: () => Promise<T>): Promise<T> {
    const loaded = collections.map((definition) => this.opened(definition));
    await whenUnlocked(() => this.db.transaction(() => loaded.forEach((collection) => collection.dropIndexes()))());
    try {
      return await load();
    } finally {
      for (const collection of loaded) await collection.createIndexesPausing(() => this.leaveRoomForOtherWriters());
    }
  }

  /**
   * Also where a long writer lets the WAL start over. SQLite writes the WAL from its start again
   * only when a write begins with every frame copied back and no reader in the WAL; a catch-up or
   * a rebuild commits while the checkpointer copies, so that never happened and the WAL grew by
   * every page written: 12 GiB beside a 2.5 GiB file at the end of a 1M catch-up, all of it
   * written to disk and held in the page cache. So once the WAL is long, the writer, between its
   * writes and on its own thread (a background one), copies it back whole (RESTART), and its next
   * write starts it over, cut back to `journal_size_limit`.
   */
  async leaveRoomForOtherWriters(): Promise<void> {
    if (this.walBytes() > this.longWalBytes) this.checkpointWholeWalIfFree();
    await sleep(ROOM_FOR_OTHER_WRITERS_MS);
  }

  /**
   * Without waiting: RESTART holds the write lock while it waits for the checkpointer thread or
   * for readers, so waiting in SQLite's busy handler (sleeps of up to 100 ms) would stop the
   * writer and every other one (a serving node's included) for as long. When something is in the
   * way it gives up at once (SQLite answers busy, not an error), having copied what it could; the
   * next pause tries again. At 1M the WAL then stayed between 64 and about 330 MiB.
   */
  private checkpointWholeWalIfFree(): void {
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.pragma('wal_checkpoint(RESTART)');
    } finally {
      this.db.pragma(`busy_timeout = ${this.blockOnLockMs}`);
    }
  }

  private walBytes(): number {
    return statSync(this.walFile, { throwIfNoEntry: false })?.size ?? 0;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  private opened(definition: CollectionDefinition): SqliteCollection<ReadModelDocument> {
    let collection = this.collections.get(definition.name);
    if (!collection) {
      collection = new SqliteCollection(this.db, definition);
      this.collections.set(definition.name, collection);
    }
    return collection;
  }

  /** The checkpointer first, so that this connection, the last one, checkpoints what is left as it closes. */
  async close(): Promise<void> {
    await this.checkpointer.terminate();
    if (this.db.open) this.db.close();
  }
}
