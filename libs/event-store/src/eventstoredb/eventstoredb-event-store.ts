import { Readable, addAbortSignal } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  AllStreamResolvedEvent,
  BACKWARDS,
  Direction,
  END,
  EventStoreDBClient,
  FORWARDS,
  JSONType,
  Position,
  RecordedEvent as EsdbRecordedEvent,
  ReadPosition,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
} from '@eventstore/db-client';
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
  WrongExpectedRevisionError,
} from '../event-store.port';
import { chainEvents, streamHeadHash } from '../chain/event-chain';
import { assertExpectedRevision } from '../expected-revision';
import { upcastOnRead } from '../upcast-on-read';
import {
  decodePosition,
  encodePosition,
  isUserEvent,
  knownPosition,
  toActualRevision,
  toAppendExpectedRevision,
  toRevision,
} from './eventstoredb-mapping';

const PING_TIMEOUT_MS = 2_000;
const HEAD_PAGE_SIZE = 32;
/** Appends with `any` or `stream_exists` that lose a race re-read the chain's head this often. */
const MAX_CHAIN_ATTEMPTS = 10;

/**
 * The event log on EventStoreDB (or KurrentDB), through @eventstore/db-client 6 over gRPC.
 * Requires a server of 22.6 or later: only those report an event's $all position on stream
 * reads (types/events.d.ts, RecordedEvent.position), which `readStream` must return. Positions
 * are compared as encoded text throughout, which eventstoredb-mapping makes equal to log order.
 */
export class EventStoreDbEventStore implements EventStore {
  static fromConnectionString(connectionString: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  constructor(private readonly client: EventStoreDBClient) {}

  /**
   * Each event links to the stream's last event, so the append must land right after the event
   * read: it always goes with that exact revision as expected. A caller's `any` or
   * `stream_exists` becomes the revision observed, and a conflict with another writer then
   * means reading the new head and linking again; a caller's own exact revision or `no_stream`
   * is checked here and a conflict is theirs to handle, as before.
   */
  async append(streamName: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    for (let attempt = 1; ; attempt += 1) {
      const head = await this.readChainHead(streamName);
      assertExpectedRevision(streamName, expected, head?.revision ?? null);
      const firstRevision = (head?.revision ?? -1) + 1;
      try {
        return await this.appendAt(streamName, chainEvents(streamName, firstRevision, head?.hash ?? null, events), head?.revision ?? 'no_stream');
      } catch (error) {
        const relinkable = expected === 'any' || expected === 'stream_exists';
        if (!(error instanceof WrongExpectedRevisionError) || !relinkable || attempt === MAX_CHAIN_ATTEMPTS) {
          throw error instanceof WrongExpectedRevisionError ? new WrongExpectedRevisionError(streamName, expected, error.actual) : error;
        }
      }
    }
  }

  /** The last revision of a stream and the hash the next event links to; null when it has no events. */
  private async readChainHead(streamName: string): Promise<{ revision: number; hash: string | null } | null> {
    const [last] = await this.readStreamAsStored(streamName, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    if (!last) return null;
    const hash = last.metadata.integrity?.hash ?? streamHeadHash(await this.readStreamAsStored(streamName));
    return { revision: last.streamRevision, hash };
  }

  private async appendAt(streamName: string, events: readonly EventToAppend[], expected: number | 'no_stream'): Promise<AppendResult> {
    const proposed = events.map((event) =>
      jsonEvent({
        // The event id doubles as the server's idempotency key for a retried append.
        id: event.metadata.eventId,
        type: event.type,
        // The client JSON.stringify-s data whatever its static type (appendToStream/batchAppend.js).
        data: event.data as JSONType,
        metadata: event.metadata,
      }),
    );
    const result = await this.client
      .appendToStream(streamName, proposed, { expectedRevision: toAppendExpectedRevision(expected) })
      .catch((error: unknown) => {
        throw error instanceof WrongExpectedVersionError
          ? new WrongExpectedRevisionError(streamName, expected, toActualRevision(error.actualVersion))
          : error;
      });
    // A client built with throwOnAppendFailure=false answers a conflict with success: false, and
    // its batch-append path then misreports the current revision (batchAppend.js); refuse loudly.
    if (!result.success) {
      throw new Error(`Append to '${streamName}' was refused; the EventStoreDB client must keep throwOnAppendFailure=true.`);
    }
    if (!result.position) throw new Error(`EventStoreDB did not report where the append to '${streamName}' landed.`);
    return {
      nextExpectedRevision: toRevision(result.nextExpectedRevision),
      // Each event of a gRPC append is a self-committed prepare record, whose $all position is
      // (its log position, its log position) on $all and stream reads alike (KurrentDB AllReader,
      // ResolvedEvent.CalculatePosition). The append answers with the log position of the write's
      // last prepare as both halves (StorageChaser acks the TransactionEnd prepare; the WriteEvents
      // request manager replies CommitPosition twice), which is therefore the last event's position.
      lastPosition: encodePosition(result.position),
    };
  }

  async readStream(streamName: string, afterRevision?: number): Promise<RecordedEvent[]> {
    const fromRevision = afterRevision === undefined ? START : BigInt(afterRevision + 1);
    return (await this.readStreamAsStored(streamName, { direction: FORWARDS, fromRevision })).map(upcastOnRead);
  }

  private async readStreamAsStored(
    streamName: string,
    options: Parameters<EventStoreDBClient['readStream']>[1] = { direction: FORWARDS, fromRevision: START },
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const { event } of this.client.readStream(streamName, options)) {
        if (event) events.push(toStoredEvent(event, requirePosition(event)));
      }
    } catch (error) {
      // A soft-deleted stream reads as not found; a tombstoned one as deleted, and the server will
      // refuse any append to it, so both read as "no events" here.
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return [];
      throw error;
    }
    return events;
  }

  /**
   * The 6.x client sends no filter on reads of $all (readAll.js sets NoFilter), so `maxCount`
   * counts system events too, and reading forwards from a position includes the event at that
   * position (AllReader: `>= pos`). A page therefore asks for one more than wanted, drops what is
   * at or before `after`, filters system events here, and reads on until `limit` are found or
   * the log ends.
   */
  async readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    return (await this.readAllAsStored(after, limit)).map(upcastOnRead);
  }

  /** The client hands every event over decoded anyway: counting is reading them, without upcasting. */
  async countAfter(after: GlobalPosition | null, atMost: number): Promise<number> {
    return (await this.readAllAsStored(after, atMost)).length;
  }

  async readAllAsStored(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const pageSize = limit + 1;
    let cursor = after;
    while (events.length < limit) {
      const start = cursor;
      const page = await this.readAllPage(FORWARDS, start === null ? START : decodePosition(start), pageSize);
      for (const { event } of page) {
        if (!event) continue;
        const position = encodePosition(event.position);
        if (start !== null && position <= start) continue;
        cursor = position;
        if (!isUserEvent(event.streamId, event.type)) continue;
        events.push(toStoredEvent(event, event.position));
        if (events.length === limit) return events;
      }
      if (page.length < pageSize) break;
    }
    return events;
  }

  /**
   * A catch-up subscription starts strictly after `fromPosition` (the server reads one event
   * from it and starts at the next; KurrentDB Enumerators.AllSubscriptionFiltered.Subscribe), so
   * `after` passes through as it is. for-await pulls the next event only once the handler is
   * done, which backs pressure up to the server; a server whose buffer for a slow subscriber
   * overflows drops it, and that surfaces through `onError` like any other failure.
   */
  subscribeToAll({ after, onEvent, onError }: SubscribeToAllOptions): Subscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: after === null ? START : decodePosition(after),
      filter: excludeSystemEvents(),
    });
    let closed = false;
    let unsubscribed: Promise<void> | undefined;
    // A subscription whose call never started (server unreachable) has nothing to cancel.
    const unsubscribe = () => (unsubscribed ??= subscription.unsubscribe().catch(() => undefined));

    // A client-side cancel ends the stream without an error (Subscription.js ignores it), so
    // close() ends this loop normally; a handler error or a dropped subscription ends it by throwing.
    const deliver = async () => {
      for await (const { event } of subscription) {
        if (closed) return;
        if (!event || !isUserEvent(event.streamId, event.type)) continue;
        await onEvent(upcastOnRead(toStoredEvent(event, event.position)));
      }
    };
    const running = deliver()
      .catch((error: unknown) => {
        if (!closed) onError?.(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(unsubscribe);

    return {
      async close() {
        closed = true;
        await unsubscribe();
        await running;
      },
    };
  }

  /**
   * Reading $all backwards from a position excludes the event at it (AllReader compares the
   * record's post-position), so paging on from the oldest event of a page of system events
   * moves on; were it included, it would only be looked at again and skipped.
   */
  async headPosition(): Promise<GlobalPosition | null> {
    let from: ReadPosition = END;
    for (;;) {
      const page = await this.readAllPage(BACKWARDS, from, HEAD_PAGE_SIZE);
      const newest = page.find(({ event }) => event && isUserEvent(event.streamId, event.type))?.event;
      if (newest) return encodePosition(newest.position);
      const oldest = page[page.length - 1]?.event;
      if (page.length < HEAD_PAGE_SIZE || !oldest) return null;
      from = oldest.position;
    }
  }

  /**
   * The 6.x client replaces the `deadline` of any read with Infinity (callArguments gets
   * `{ deadline: Infinity }` from readAll.js), so the time limit is an abort signal instead.
   */
  async ping(): Promise<void> {
    const timeout = AbortSignal.timeout(PING_TIMEOUT_MS);
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    const answer: Readable = addAbortSignal(timeout, read);
    try {
      await finished(answer.resume());
    } catch (error) {
      // A call that never started (server unreachable) has nothing to cancel.
      read.cancel().catch(() => undefined);
      if (timeout.aborted) throw new Error(`EventStoreDB did not answer within ${PING_TIMEOUT_MS} ms.`);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private async readAllPage(direction: Direction, fromPosition: ReadPosition, maxCount: number): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.client.readAll({ direction, fromPosition, maxCount })) page.push(resolved);
    return page;
  }
}

const requirePosition = (event: EsdbRecordedEvent): Position => {
  const position = knownPosition(event.position);
  if (!position) {
    throw new Error(
      `EventStoreDB did not report the $all position of event ${event.revision} of '${event.streamId}': ` +
        'the server must be 22.6 or later, and the event must not come from an explicit transaction.',
    );
  }
  return position;
};

const toStoredEvent = (event: EsdbRecordedEvent, position: Position): RecordedEvent => ({
  streamName: event.streamId,
  streamRevision: toRevision(event.revision),
  globalPosition: encodePosition(position),
  type: event.type,
  data: event.data,
  metadata: event.metadata as EventMetadata,
});
