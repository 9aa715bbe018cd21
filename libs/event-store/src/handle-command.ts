import { v7 as uuidV7 } from 'uuid';
import { Decider, EVENT_SCHEMAS, EventMetadata } from '@keyhold/domain';
import { CORRELATION_ID, traced } from '@keyhold/tracing';
import { EventStore, GlobalPosition, WrongExpectedRevisionError } from './event-store.port';
import { FoldedStream, Folder, lastFolded, readFolded, rememberFolded } from './folded-streams';

/** Who asked and why: becomes the metadata of every event the command produces. */
export type CommandContext = {
  readonly tenantId: string;
  readonly actorId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly now: string;
  readonly reason?: string;
};

export type HandledCommand<State, Event, Rejection> =
  | {
      readonly outcome: 'accepted';
      readonly state: State;
      readonly events: readonly Event[];
      /** Where the last new event landed; null when the command changed nothing. */
      readonly position: GlobalPosition | null;
    }
  | { readonly outcome: 'rejected'; readonly rejection: Rejection };

/**
 * `expectedRevision`: the revision the caller last saw (an HTTP If-Match). Given, a stream that
 * has moved on fails with WrongExpectedRevisionError at once, neither retried nor decided again:
 * the caller asked to change what it saw, and it saw something older. Without it, a concurrent
 * write makes the pipeline read and decide again, up to `maxAttempts` times.
 */
export type HandleCommandOptions = { readonly expectedRevision?: number; readonly maxAttempts?: number };

export class ConcurrencyConflictError extends Error {
  constructor(readonly streamName: string, attempts: number) {
    super(`Stream '${streamName}' kept changing under ${attempts} attempts; try again.`);
    this.name = 'ConcurrencyConflictError';
  }
}

/**
 * The one command pipeline: read the stream, fold it (from this process's last fold of it,
 * `readFolded`), decide, append with the revision read; a decision to append is first tried on
 * that last fold without reading (`readDecideAppend`).
 * On a concurrent write it reads again and decides again; that is safe because a command
 * carries its own time, ids and secrets, so deciding twice cannot produce a different token.
 */
export const handleCommand = async <State, Command, Event extends { type: string; data: unknown }, Rejection>(
  store: EventStore,
  streamName: string,
  decider: Decider<State, Command, Event, Rejection>,
  command: Command,
  context: CommandContext,
  options: HandleCommandOptions = {},
): Promise<HandledCommand<State, Event, Rejection>> =>
  oneAtATime(store, streamName, () => readDecideAppend(store, streamName, decider, command, context, options));

const queues = new WeakMap<EventStore, Map<string, Promise<void>>>();

/**
 * Runs the commands of one stream one after another within this process. A store that groups
 * commits (SQLite) writes on the next turn of the event loop, so commands on one stream that
 * arrive together would all read the same revision, and all but one would conflict at every
 * attempt; queued, each reads what the one before it wrote. Other processes are still held off
 * by the expected revision.
 */
const oneAtATime = <T>(store: EventStore, streamName: string, work: () => Promise<T>): Promise<T> => {
  let byStream = queues.get(store);
  if (!byStream) queues.set(store, (byStream = new Map()));
  const result = (byStream.get(streamName) ?? Promise.resolve()).then(work);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  byStream.set(streamName, settled);
  void settled.then(() => {
    if (byStream.get(streamName) === settled) byStream.delete(streamName);
  });
  return result;
};

const readDecideAppend = async <State, Command, Event extends { type: string; data: unknown }, Rejection>(
  store: EventStore,
  streamName: string,
  decider: Decider<State, Command, Event, Rejection>,
  command: Command,
  context: CommandContext,
  { expectedRevision, maxAttempts = 3 }: HandleCommandOptions,
): Promise<HandledCommand<State, Event, Rejection>> => {
  // First on this process's last fold, unread: a query of the log per command saved. Its append
  // names the fold's revision, so it lands only if no other process wrote since. A decision that
  // appends nothing (a refusal, an idempotent replay) has no such proof: it is made again below on
  // the stream as read. Not with If-Match: a stale fold would refuse a revision the caller saw.
  const last = expectedRevision === undefined ? lastFolded(store, streamName, decider) : undefined;
  if (last) {
    const decision = decider.decide(command, last.state);
    if (decision.outcome === 'accepted' && decision.events.length > 0) {
      const appended = await appendDecided(store, streamName, decider, last, decision.events, context).catch(unlessConflict);
      if (appended) return appended;
    }
  }
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const folded = await readFolded(store, streamName, decider);
    if (expectedRevision !== undefined && expectedRevision !== folded.revision) throw new WrongExpectedRevisionError(streamName, expectedRevision, folded.revision ?? 'no_stream');
    const decision = decider.decide(command, folded.state);
    if (decision.outcome === 'rejected') return decision;
    if (decision.events.length === 0) return { outcome: 'accepted', state: folded.state, events: [], position: null };
    try {
      return await appendDecided(store, streamName, decider, folded, decision.events, context);
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || expectedRevision !== undefined) throw error;
    }
  }
  throw new ConcurrencyConflictError(streamName, maxAttempts);
};

/** A conflict means "decide again on the log"; anything else is a failure. */
const unlessConflict = (error: unknown): undefined => {
  if (error instanceof WrongExpectedRevisionError) return undefined;
  throw error;
};

/** Appends what was decided on `folded`, expecting its revision, and remembers the state it leads to. */
const appendDecided = async <State, Event extends { type: string; data: unknown }>(
  store: EventStore,
  streamName: string,
  decider: Folder<State, Event>,
  folded: FoldedStream<State>,
  events: readonly Event[],
  context: CommandContext,
): Promise<HandledCommand<State, Event, never>> => {
  const appended = await traced('append', { [CORRELATION_ID]: context.correlationId, 'keyhold.stream': streamName, 'keyhold.events': events.length }, () =>
    store.append(
      streamName,
      events.map((event) => ({ type: event.type, data: event.data, metadata: metadataFor(context, event.type) })),
      folded.revision ?? 'no_stream',
    ),
  );
  const next = events.reduce(decider.evolve, folded.state);
  rememberFolded(store, streamName, decider, { state: next, revision: appended.nextExpectedRevision });
  return { outcome: 'accepted', state: next, events, position: appended.lastPosition };
};

/**
 * New events are written at their type's current schema version, which deciders produce. Event
 * ids are UUIDv7 (RFC 9562: time-ordered, 74 random bits): read models keyed by event id (the
 * audit history) then insert at the end of their primary-key index instead of at a random page,
 * which is what COMMIT spent most of a replay writing.
 */
export const metadataFor = (context: CommandContext, type: string): EventMetadata => ({
  eventId: uuidV7(),
  tenantId: context.tenantId,
  actorId: context.actorId,
  correlationId: context.correlationId,
  causationId: context.causationId,
  occurredAt: context.now,
  schemaVersion: EVENT_SCHEMAS.currentVersion(type),
  ...(context.reason ? { reason: context.reason } : {}),
});
