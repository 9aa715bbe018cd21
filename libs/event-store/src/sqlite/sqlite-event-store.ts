import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
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
import { threadEntry } from '../thread-entry';
import { upcastOnRead } from '../upcast-on-read';
import { AppendRequest, BatchWritten, failureError, LogWriterCommand } from './sqlite-log-appender';
import { createEventsTable, EventRow, sqlitePosition, toStoredEvent } from './sqlite-events-table';

export { sqlitePosition } from './sqlite-events-table';

type PendingAppend = AppendRequest & {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
};

const sequenceOf = (position: GlobalPosition | null): number => (position === null ? 0 : Number(position));

/**
 * The embedded event log: one SQLite file in WAL mode, written by a thread of its own
 * (`SqliteLogAppender`, synchronous=FULL) so that an append that resolved is on disk, while the
 * fsync of each commit holds that thread and not the one serving requests: at 50 connections of
 * `POST /v1/tokens` the COMMIT's fsync (and the appends' inserts and hashing) took about a quarter
 * of the serving thread's time. Readers here see a batch only once the writer's COMMIT returned
 * (WAL publishes a commit after syncing it), and an append resolves only after that.
 *
 * Group commit: appends are queued and sent to the writer as one batch, one IMMEDIATE transaction
 * and so one fsync, and none resolves before that COMMIT returned. One batch is with the writer
 * at a time; what arrives meanwhile waits and forms the next batch, so batches grow with the load
 * (and with the disk's latency). The first append after a quiet spell goes on the next
 * `setImmediate`, which lets the poll phase hand over every request that arrived with it.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly statements;
  /** Started by the first append: a store that only reads (a catch-up thread, a verifier) never needs one. */
  private writer: Worker | null = null;
  private readonly filename: string;
  /** Why no append can be written any more (the writer thread is gone, the store closed): every append from then on fails with it. */
  private writerFailure: Error | null = null;
  private pending: PendingAppend[] = [];
  /** The batch with the writer, answered in order: at most one. */
  private writing: PendingAppend[] | null = null;
  private readonly idle = new EventEmitter();
  /** Every subscription of this process asks for the same new events after each append: read and parsed once. */
  private readonly newest = new NewestEvents();

  /** Runs while someone subscribes: notices the commits of other processes sharing the file. */
  private watching: NodeJS.Timeout | null = null;

  /**
   * `watchIntervalMs`: how often a subscribed store asks SQLite whether another connection (the
   * API node beside a worker, the CLI) committed, which is all a worker waits on to see a write.
   */
  constructor(filename: string, private readonly watchIntervalMs = 10) {
    this.filename = filename;
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    createEventsTable(this.db);
    this.statements = {
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
      // Changes whenever another connection committed to the file (the writer thread's included,
      // as this one never writes); it reads a counter in the shared memory of the WAL, no table.
      dataVersion: this.db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
    this.appended.setMaxListeners(0);
  }

  private startedWriter(): Worker {
    if (this.writer) return this.writer;
    const { filename: entry, execArgv } = threadEntry(__filename, 'sqlite-log-writer.thread');
    const writer = new Worker(entry, { workerData: { filename: this.filename }, execArgv });
    writer.on('message', (written: BatchWritten) => this.settle(written));
    writer.on('error', (error) => this.writerGone(error));
    writer.on('exit', () => this.writerGone(new Error('The event log\'s writer thread has stopped.')));
    // Held open only while a batch is with it (`flush`, `settle`): an idle store keeps no process alive.
    writer.unref();
    return (this.writer = writer);
  }

  append(streamName: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      if (this.writerFailure) return reject(this.writerFailure);
      this.pending.push({ streamName, events, expected, resolve, reject });
      if (this.pending.length === 1 && !this.writing) setImmediate(() => this.flush());
    });
  }

  /** Sends every queued append to the writer as one batch, unless one is already there (its answer sends the next). */
  private flush(): void {
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = batch;
    const writer = this.startedWriter();
    writer.ref();
    const command: LogWriterCommand = { kind: 'write', batch: batch.map(({ streamName, events, expected }) => ({ streamName, events, expected })) };
    writer.postMessage(command);
  }

  /** Settles each append of the batch by its own outcome, then sends what queued meanwhile. */
  private settle(written: BatchWritten): void {
    const batch = this.writing ?? [];
    this.writing = null;
    this.writer?.unref();
    if (written.ok) {
      batch.forEach((append, index) => {
        const outcome = written.outcomes[index];
        if (outcome.ok) append.resolve(outcome.result);
        else append.reject(failureError(outcome.failure));
      });
      this.appended.emit('appended');
    } else {
      // BEGIN or COMMIT failed (busy beyond the timeout, disk full): nothing of the batch is written.
      const error = failureError(written.failure);
      for (const append of batch) append.reject(error);
    }
    if (this.pending.length > 0) this.flush();
    else this.idle.emit('idle');
  }

  private writerGone(error: Error): void {
    if (this.writerFailure) return;
    this.writerFailure = error;
    for (const append of [...(this.writing ?? []), ...this.pending]) append.reject(error);
    this.writing = null;
    this.pending = [];
    this.idle.emit('idle');
  }

  /**
   * Calls `listener` each time a batch appended through this store has committed, and each time
   * the watch on other writers (running while anyone subscribes here) saw the file change;
   * answers how to stop.
   */
  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  /**
   * Another connection to the file (another thread of this process) says it committed: the
   * subscriptions here read on now, rather than when the watch on other writers next looks.
   */
  noticeCommit(): void {
    this.appended.emit('appended');
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
   * Appends through this store announce themselves (`settle`); those of another process are seen
   * by `PRAGMA data_version` moving, checked every `watchIntervalMs` while anyone subscribes: a
   * read of one counter, where re-reading the log on a timer cost a query per subscriber. This
   * store's own appends move it too (the writer thread's connection is another one), harmlessly:
   * a caught-up reader then finds nothing new in one indexed query. The timer holds the process
   * open, as a live subscription should: a worker has nothing else.
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
    if (this.writerFailure) throw this.writerFailure;
    this.db.prepare('SELECT 1').get();
  }

  /** Writes what is still queued, then lets the writer close its connection and end. */
  async close(): Promise<void> {
    while (!this.writerFailure && (this.writing || this.pending.length > 0)) {
      const idle = new Promise((settled) => this.idle.once('idle', settled));
      this.flush();
      await idle;
    }
    this.stopWatching();
    this.appended.removeAllListeners();
    if (!this.writerFailure) {
      this.writerFailure = new Error('The event log is closed.');
      const writer = this.writer;
      if (writer) {
        const exited = new Promise((ended) => writer.once('exit', ended));
        // Held open until it has ended: else a process with nothing else to do would end first,
        // before its caller's code after `close` (the CLI's exit status) ran.
        writer.ref();
        writer.postMessage({ kind: 'close' } satisfies LogWriterCommand);
        await exited;
      }
    }
    if (this.db.open) this.db.close();
  }
}

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
