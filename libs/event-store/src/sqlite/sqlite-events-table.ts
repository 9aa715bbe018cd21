import Database from 'better-sqlite3';
import { EventMetadata } from '@keyhold/domain';
import { GlobalPosition, RecordedEvent } from '../event-store.port';

/** The log's one table; both the store's connection and the writer thread's open it. */
export const createEventsTable = (db: Database.Database): void => {
  db.exec(`
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
};

export type EventRow = {
  position: number;
  stream_name: string;
  stream_revision: number;
  type: string;
  data: string;
  metadata: string;
};

const POSITION_DIGITS = 20;
export const sqlitePosition = (sequence: number): GlobalPosition => String(sequence).padStart(POSITION_DIGITS, '0');

export const toStoredEvent = (row: EventRow): RecordedEvent => ({
  streamName: row.stream_name,
  streamRevision: row.stream_revision,
  globalPosition: sqlitePosition(row.position),
  type: row.type,
  data: JSON.parse(row.data),
  metadata: JSON.parse(row.metadata) as EventMetadata,
});
