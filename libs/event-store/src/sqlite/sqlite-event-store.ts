import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { EventMetadata } from '@keyhold/domain';
import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  GlobalPosition,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
} from '../event-store.port';
import { pollingSubscription } from '../polling-subscription';
import { chainEvents, streamHeadHash } from '../chain/event-chain';
import { assertExpectedRevision } from '../expected-revision';
import { upcastOnRead } from '../upcast-on-read';

type PendingAppend = {
  readonly streamName: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
};

type Outcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: unknown };

type EventRow = {
  position: number;
  stream_name: string;
  stream_revision: number;
  type: string;
  data: string;
  metadata: string;
};

const POSITION_DIGITS = 20;
export const sqlitePosition = (sequence: number): GlobalPosition => String(sequence).padStart(POSITION_DIGITS, '0');
const sequenceOf = (position: GlobalPosition | null): number => (position === null ? 0 : Number(position));

/**
 * The embedded event log: one SQLite file in WAL mode, synchronous=FULL so that an append that
 * resolved is on disk.
 *
 * Group commit: appends made in the same turn of the event loop are queued and written together
 * on the next `setImmediate`, in one IMMEDIATE transaction and so one fsync, and none resolves
 * before that COMMIT returned. Each append runs in its own savepoint inside the batch: its
 * read-check-write sees the appends queued before it (two appends at the same expected revision
 * in one batch: the second fails exactly as if they had been committed apart), and one that fails
 * (a stale revision, a duplicate event id) is rolled back alone while the others commit.
 * better-sqlite3 is synchronous, so a batch runs without interleaving inside this process, and
 * BEGIN IMMEDIATE serialises it against other processes sharing the file (the CLI, a second node).
 * Deferring to `setImmediate` rather than a microtask lets the poll phase hand over every request
 * that arrived while the previous COMMIT held the thread, so batches grow with the load.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly statements;
  private readonly appendInSavepoint: (pending: PendingAppend) => AppendResult;
  private readonly commitBatch: Database.Transaction<(batch: readonly PendingAppend[]) => Outcome[]>;
  private pending: PendingAppend[] = [];
  /** Every subscription of this process asks for the same new events after each append: read and parsed once. */
  private readonly newest = new NewestEvents();

  /** Runs while someone subscribes: notices the commits of other processes sharing the file. */
  private watching: NodeJS.Timeout | null = null;

  /**
   * `watchIntervalMs`: how often a subscribed store asks SQLite whether another connection (the
   * API node beside a worker, the CLI) committed, which is all a worker waits on to see a write.
   */
  constructor(filename: string, private readonly watchIntervalMs = 10) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        stream_name TEXT NOT NULL,
        stream_revision INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        UNIQUE (stream_name, stream_revision)
      );
    `);
    this.statements = {
      // Served by the (stream_name, stream_revision) unique index: one row, however long the stream.
      lastOfStream: this.db.prepare<[string], EventRow>(
        'SELECT * FROM events WHERE stream_name = ? ORDER BY stream_revision DESC LIMIT 1',
      ),
      insert: this.db.prepare(
        `INSERT INTO events (event_id, stream_name, stream_revision, type, data, metadata)
         VALUES (@eventId, @streamName, @streamRevision, @type, @data, @metadata)`,
      ),
      readStream: this.db.prepare<[string, number], EventRow>(
        'SELECT * FROM events WHERE stream_name = ? AND stream_revision > ? ORDER BY stream_revision',
      ),
      readAll: this.db.prepare<[number, number], EventRow>(
        'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ),
      countAfter: this.db
        .prepare<[number, number], number>('SELECT count(*) FROM (SELECT 1 FROM events WHERE position > ? ORDER BY position LIMIT ?)')
        .pluck(),
      head: this.db.prepare<[], { position: number | null }>('SELECT MAX(position) AS position FROM events'),
      // Changes whenever another connection committed to the file, never for this one's own
      // commits; it reads a counter in the shared memory of the WAL, no table.
      dataVersion: this.db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
    // A transaction function called inside another one runs as a savepoint: it rolls back alone.
    this.appendInSavepoint = this.db.transaction((pending: PendingAppend) => this.appendOne(pending));
    this.commitBatch = this.db.transaction((batch: readonly PendingAppend[]) =>
      batch.map((pending): Outcome => {
        try {
          return { ok: true, result: this.appendInSavepoint(pending) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    this.appended.setMaxListeners(0);
  }

  append(streamName: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ streamName, events, expected, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Writes every queued append in one transaction, then settles each by its own outcome. */
  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch.immediate(batch);
    } catch (error) {
      // BEGIN or COMMIT failed (busy beyond the timeout, disk full): nothing of the batch is written.
      for (const append of batch) append.reject(error);
      return;
    }
    batch.forEach((append, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) append.resolve(outcome.result);
      else append.reject(outcome.error);
    });
    this.appended.emit('appended');
  }

  /** One append's read-check-write; the chain's head is read in the batch's transaction, after the appends queued before it. */
  private appendOne({ streamName, events, expected }: PendingAppend): AppendResult {
    const last = this.statements.lastOfStream.get(streamName);
    const current = last?.stream_revision ?? null;
    assertExpectedRevision(streamName, expected, current);
    let revision = current ?? -1;
    let lastSequence = 0;
    for (const event of chainEvents(streamName, revision + 1, last ? this.headHash(last) : null, events)) {
      revision += 1;
      const info = this.statements.insert.run({
        eventId: event.metadata.eventId,
        streamName,
        streamRevision: revision,
        type: event.type,
        data: JSON.stringify(event.data),
        metadata: JSON.stringify(event.metadata),
      });
      lastSequence = Number(info.lastInsertRowid);
    }
    return { nextExpectedRevision: revision, lastPosition: sqlitePosition(lastSequence) };
  }

  async readStream(streamName: string, afterRevision = -1): Promise<RecordedEvent[]> {
    return this.statements.readStream.all(streamName, afterRevision).map(toStoredEvent).map(upcastOnRead);
  }

  async readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    return this.newest.read(sequenceOf(after), limit, (from, count) => this.statements.readAll.all(from, count).map(toStoredEvent).map(upcastOnRead));
  }

  async readAllAsStored(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    return this.statements.readAll.all(sequenceOf(after), limit).map(toStoredEvent);
  }

  /** An index walk over positions: no row is read or decoded. */
  async countAfter(after: GlobalPosition | null, atMost: number): Promise<number> {
    return this.statements.countAfter.get(sequenceOf(after), atMost)!;
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return pollingSubscription({
      readAll: (after, limit) => this.readAll(after, limit),
      onAppend: (listener) => {
        this.appended.on('appended', listener);
        this.watchOtherWriters();
        return () => {
          this.appended.off('appended', listener);
          if (this.appended.listenerCount('appended') === 0) this.stopWatching();
        };
      },
      ...options,
    });
  }

  /**
   * Appends in this process announce themselves (`flush`); those of another process are seen by
   * `PRAGMA data_version` moving, checked every `watchIntervalMs` while anyone subscribes: a
   * read of one counter, where re-reading the log on a timer cost a query per subscriber. The
   * timer holds the process open, as a live subscription should: a worker has nothing else.
   */
  private watchOtherWriters(): void {
    if (this.watching) return;
    let seen = this.statements.dataVersion.get();
    this.watching = setInterval(() => {
      const now = this.statements.dataVersion.get();
      if (now === seen) return;
      seen = now;
      this.appended.emit('appended');
    }, this.watchIntervalMs);
  }

  private stopWatching(): void {
    if (this.watching) clearInterval(this.watching);
    this.watching = null;
  }

  async headPosition(): Promise<GlobalPosition | null> {
    const head = this.statements.head.get()?.position ?? null;
    return head === null ? null : sqlitePosition(head);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.flush();
    this.stopWatching();
    this.appended.removeAllListeners();
    if (this.db.open) this.db.close();
  }

  /** What a new event links to: the last event's stored hash, or for a stream from before chaining, its whole history's. */
  private headHash(last: EventRow): string | null {
    return (
      // Only the metadata: parsing the event's data too cost every append a parse it did not use.
      (JSON.parse(last.metadata) as EventMetadata).integrity?.hash ??
      streamHeadHash(this.statements.readStream.all(last.stream_name, -1).map(toStoredEvent))
    );
  }
}

const toStoredEvent = (row: EventRow): RecordedEvent => ({
  streamName: row.stream_name,
  streamRevision: row.stream_revision,
  globalPosition: sqlitePosition(row.position),
  type: row.type,
  data: JSON.parse(row.data),
  metadata: JSON.parse(row.metadata) as EventMetadata,
});

const NEWEST_KEPT = 1000;

/**
 * The newest events read from the log, in order and without a gap: every event after `after`
 * up to the last one kept. Nothing in it goes stale: positions are handed out inside the write
 * transaction, which SQLite runs one at a time, so no event can appear later below one already
 * read. A read that starts inside it is answered from it, and only what lies beyond its end is
 * read from the file (where a caught-up reader finds nothing, with one indexed query).
 */
class NewestEvents {
  private events: RecordedEvent[] = [];
  private after = 0;

  read(from: number, limit: number, readFile: (from: number, limit: number) => RecordedEvent[]): RecordedEvent[] {
    const end = this.end();
    if (from < this.after || from > end) return this.keep(from, readFile(from, limit));
    const first = this.firstAfter(from);
    const answer = this.events.slice(first, first + limit);
    if (answer.length === limit) return answer;
    return answer.concat(this.keep(end, readFile(end, limit - answer.length)));
  }

  private end(): number {
    return this.events.length === 0 ? this.after : Number(this.events[this.events.length - 1].globalPosition);
  }

  /** The index of the first kept event after sequence `from`. */
  private firstAfter(from: number): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (Number(this.events[middle].globalPosition) <= from) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Adds events read from the file after `from`, continuing the kept run or starting a new one. */
  private keep(from: number, read: RecordedEvent[]): RecordedEvent[] {
    if (read.length === 0) return read;
    if (from === this.end()) this.events = this.events.concat(read);
    else {
      this.events = [...read];
      this.after = from;
    }
    if (this.events.length > NEWEST_KEPT) {
      const dropped = this.events.length - NEWEST_KEPT;
      this.after = Number(this.events[dropped - 1].globalPosition);
      this.events = this.events.slice(dropped);
    }
    return read;
  }
}
