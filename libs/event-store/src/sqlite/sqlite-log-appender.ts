import Database from 'better-sqlite3';
import { EventMetadata } from '@keyhold/domain';
import { AppendResult, EventToAppend, ExpectedRevision, WrongExpectedRevisionError } from '../event-store.port';
import { chainEvents, streamHeadHash } from '../chain/event-chain';
import { assertExpectedRevision } from '../expected-revision';
import { EventRow, sqlitePosition, toStoredEvent } from './sqlite-events-table';

export type AppendRequest = {
  readonly streamName: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
};

/**
 * Why an append (or a whole batch) failed, as plain data: it crosses from the writer thread by
 * structured clone, which keeps neither an error's class nor SQLite's `code`.
 */
export type AppendFailure =
  | { readonly kind: 'wrong-revision'; readonly streamName: string; readonly expected: ExpectedRevision; readonly actual: number | 'no_stream' }
  | { readonly kind: 'sqlite'; readonly code: string; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

export type AppendOutcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly failure: AppendFailure };

/** What the writer thread is asked: one batch at a time, answered in order with `BatchWritten`. */
export type LogWriterCommand = { readonly kind: 'write'; readonly batch: readonly AppendRequest[] } | { readonly kind: 'close' };

/** The writer thread's answer to one batch: each append's outcome, or why the whole batch failed. */
export type BatchWritten = { readonly ok: true; readonly outcomes: AppendOutcome[] } | { readonly ok: false; readonly failure: AppendFailure };

export const describeFailure = (error: unknown): AppendFailure => {
  if (error instanceof WrongExpectedRevisionError) {
    return { kind: 'wrong-revision', streamName: error.streamName, expected: error.expected, actual: error.actual };
  }
  if (error instanceof Database.SqliteError) return { kind: 'sqlite', code: error.code, message: error.message };
  return { kind: 'other', message: (error as Error)?.message ?? String(error) };
};

/** The error the failure was, rebuilt on the caller's side. */
export const failureError = (failure: AppendFailure): Error => {
  switch (failure.kind) {
    case 'wrong-revision':
      return new WrongExpectedRevisionError(failure.streamName, failure.expected, failure.actual);
    case 'sqlite':
      return new Database.SqliteError(failure.message, failure.code);
    case 'other':
      return new Error(failure.message);
    default:
      return failure satisfies never;
  }
};

/**
 * Writes batches of appends to the log through a connection of its own with synchronous=FULL:
 * a batch that returned is on disk, and no other connection sees it before (in WAL mode SQLite
 * publishes a commit to readers only after syncing it).
 *
 * One batch is one IMMEDIATE transaction, and so one fsync. Each append runs in its own
 * savepoint inside it: its read-check-write sees the appends before it in the batch (two appends
 * at the same expected revision: the second fails exactly as if they had been committed apart),
 * and one that fails (a stale revision, a duplicate event id) is rolled back alone while the
 * others commit. BEGIN IMMEDIATE serialises batches against other processes sharing the file
 * (the CLI, a second node).
 */
export class SqliteLogAppender {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly appendInSavepoint: (request: AppendRequest) => AppendResult;
  private readonly commitBatch: Database.Transaction<(batch: readonly AppendRequest[]) => AppendOutcome[]>;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.statements = {
      // Served by the (stream_name, stream_revision) unique index: one row, however long the stream.
      lastOfStream: this.db.prepare<[string], EventRow>('SELECT * FROM events WHERE stream_name = ? ORDER BY stream_revision DESC LIMIT 1'),
      insert: this.db.prepare(
        `INSERT INTO events (event_id, stream_name, stream_revision, type, data, metadata)
         VALUES (@eventId, @streamName, @streamRevision, @type, @data, @metadata)`,
      ),
      wholeStream: this.db.prepare<[string], EventRow>('SELECT * FROM events WHERE stream_name = ? ORDER BY stream_revision'),
    };
    // A transaction function called inside another one runs as a savepoint: it rolls back alone.
    this.appendInSavepoint = this.db.transaction((request: AppendRequest) => this.appendOne(request));
    this.commitBatch = this.db.transaction((batch: readonly AppendRequest[]) =>
      batch.map((request): AppendOutcome => {
        try {
          return { ok: true, result: this.appendInSavepoint(request) };
        } catch (error) {
          return { ok: false, failure: describeFailure(error) };
        }
      }),
    );
  }

  /** Every append's outcome, in order; throws when BEGIN or COMMIT failed (busy beyond the timeout, disk full): then nothing of the batch is written. */
  write(batch: readonly AppendRequest[]): AppendOutcome[] {
    return this.commitBatch.immediate(batch);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** One append's read-check-write; the chain's head is read in the batch's transaction, after the appends before it. */
  private appendOne({ streamName, events, expected }: AppendRequest): AppendResult {
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

  /** What a new event links to: the last event's stored hash, or for a stream from before chaining, its whole history's. */
  private headHash(last: EventRow): string | null {
    return (
      // Only the metadata: parsing the event's data too cost every append a parse it did not use.
      (JSON.parse(last.metadata) as EventMetadata).integrity?.hash ??
      streamHeadHash(this.statements.wholeStream.all(last.stream_name).map(toStoredEvent))
    );
  }
}
