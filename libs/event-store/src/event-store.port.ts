import { EventMetadata } from '@keyhold/domain';

/**
 * A totally ordered place in the global log, as text that sorts like the log: adapters encode
 * their native positions (a SQLite sequence, EventStoreDB's commit/prepare pair) as fixed-width
 * digits, so checkpoints and read-model guards compare positions with plain string order, in
 * code and in MongoDB queries alike.
 */
export type GlobalPosition = string;

/** `no_stream` on create, the revision read on update, `any` only where order does not matter. */
export type ExpectedRevision = 'no_stream' | 'any' | 'stream_exists' | number;

export type EventToAppend = {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
};

export type RecordedEvent = {
  readonly streamName: string;
  /** 0 for the first event of a stream, as in EventStoreDB. */
  readonly streamRevision: number;
  readonly globalPosition: GlobalPosition;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
};

export type AppendResult = { readonly nextExpectedRevision: number; readonly lastPosition: GlobalPosition };

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream '${streamName}' expected revision ${String(expected)} but is at ${String(actual)}.`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export type EventHandler = (event: RecordedEvent) => Promise<void> | void;

export type Subscription = { close(): Promise<void> };

export type SubscribeToAllOptions = {
  /** Deliver events strictly after this position; `null` delivers from the start of the log. */
  readonly after: GlobalPosition | null;
  readonly onEvent: EventHandler;
  /** Called when the subscription stops for good because of an error the adapter could not recover from. */
  readonly onError?: (error: Error) => void;
};

/**
 * The event log, the source of truth: one port, adapters for SQLite (embedded) and EventStoreDB.
 * Every append chains its events to their stream's hash chain (chain/event-chain.ts), and every
 * read but `readAllAsStored` returns events upcast to their type's current schema version.
 */
export interface EventStore {
  append(streamName: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /**
   * The events of one stream in order, only those after `afterRevision` when it is given (what a
   * reader holding the stream folded up to that revision still needs); an empty array when there
   * are none or the stream does not exist.
   */
  readStream(streamName: string, afterRevision?: number): Promise<RecordedEvent[]>;
  /** Up to `limit` events strictly after `after`, in global order, user events only. */
  readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]>;
  /**
   * How many events `readAll(after, atMost)` would answer, without decoding them where the store
   * can count in place: for deciding how far behind a reader is before reading.
   */
  countAfter(after: GlobalPosition | null, atMost: number): Promise<number>;
  /**
   * As `readAll`, but each event exactly as stored: data at the schema version it was written
   * in. For verifying the hash chain only; everything else reads upcast events.
   */
  readAllAsStored(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]>;
  /** Catch up from `after`, then stay live; events reach `onEvent` one at a time, in order. */
  subscribeToAll(options: SubscribeToAllOptions): Subscription;
  /** The position of the last event in the log, or null for an empty log. */
  headPosition(): Promise<GlobalPosition | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EventStore');
