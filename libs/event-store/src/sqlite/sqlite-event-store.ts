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
 * returned is on disk. better-sqlite3 is synchronous, so an append's read-check-write runs
 * without interleaving inside this process, and BEGIN IMMEDIATE serialises it against other
 * processes sharing the file (the CLI, a second node).
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly statements;

  constructor(filename: string, private readonly pollIntervalMs = 200) {
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
      readStream: this.db.prepare<[string], EventRow>(
        'SELECT * FROM events WHERE stream_name = ? ORDER BY stream_revision',
      ),
      readAll: this.db.prepare<[number, number], EventRow>(
        'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ),
      head: this.db.prepare<[], { position: number | null }>('SELECT MAX(position) AS position FROM events'),
    };
    this.appended.setMaxListeners(0);
  }

  async append(streamName: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    // The chain's head is read in the same IMMEDIATE transaction that checks the revision, so
    // no other writer can slip an event in between the link and the insert.
    const appendAtomically = this.db.transaction(() => {
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
    });
    const result = appendAtomically.immediate();
    this.appended.emit('appended');
    return result;
  }

  async readStream(streamName: string): Promise<RecordedEvent[]> {
    return this.statements.readStream.all(streamName).map(toStoredEvent).map(upcastOnRead);
  }

  async readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    return (await this.readAllAsStored(after, limit)).map(upcastOnRead);
  }

  async readAllAsStored(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    return this.statements.readAll.all(sequenceOf(after), limit).map(toStoredEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return pollingSubscription({
      readAll: (after, limit) => this.readAll(after, limit),
      onAppend: (listener) => {
        this.appended.on('appended', listener);
        return () => this.appended.off('appended', listener);
      },
      pollIntervalMs: this.pollIntervalMs,
      ...options,
    });
  }

  async headPosition(): Promise<GlobalPosition | null> {
    const head = this.statements.head.get()?.position ?? null;
    return head === null ? null : sqlitePosition(head);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.appended.removeAllListeners();
    if (this.db.open) this.db.close();
  }

  /** What a new event links to: the last event's stored hash, or for a stream from before chaining, its whole history's. */
  private headHash(last: EventRow): string | null {
    return (
      toStoredEvent(last).metadata.integrity?.hash ??
      streamHeadHash(this.statements.readStream.all(last.stream_name).map(toStoredEvent))
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
