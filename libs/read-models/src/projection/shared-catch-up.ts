import { setImmediate } from 'node:timers/promises';
import { EventStore, GlobalPosition, RecordedEvent } from '@keyhold/event-store';
import { ProjectionLogger, ProjectionRunner } from './projection-runner';

/** Runs a page's writes as one unit: the read-model store's `batch`. */
export type Batch = <T>(work: () => Promise<T>) => Promise<T>;

export type SharedCatchUpOptions = {
  /** The most events one slice reads from the log and applies. */
  readonly pageSize?: number;
  /** Checked between slices: a shutdown ends the catch-up at the last committed slice. */
  readonly stopping?: () => boolean;
  /** How long one slice (its writes and their commit) may hold the thread before the event loop turns. */
  readonly sliceMs?: number;
};

/** The first slice's size, before any has measured what an event costs, and the least one may shrink to. */
const MIN_SLICE = 10;
/** Time on the thread per slice: a request that arrives meanwhile waits about this long, not a page's worth. */
const SLICE_MS = 10;
/**
 * The most events in one slice. The serving thread's 10 ms slices stay far below it; a catch-up
 * given long slices (on a thread of its own) commits this many at once, where each commit's fixed
 * cost (writing the pages it dirtied to the WAL) is spread over many more events.
 */
const MAX_SLICE = 10_000;

/**
 * Slices are timed in CPU time, which is what they hold the thread for: on a busy machine wall
 * time also counts the turns other processes take, and would shrink slices to no purpose.
 */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Together, not one projection after another: on a store without transactions (MongoDB) their
 * writes overlap. Every projection finishes the slice before a failure is reported, so that a
 * rollback comes after the last write of the unit, not amid a slower projection's writes.
 */
const applyTogether = async (runners: readonly ProjectionRunner[], slice: readonly RecordedEvent[]): Promise<Array<GlobalPosition | null>> => {
  const outcomes = await Promise.allSettled(runners.map((runner) => runner.applyPage(slice)));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<GlobalPosition | null>).value);
};

/**
 * How many events the next slice takes so that it lasts about `sliceMs`, from what the last one's
 * events cost; it grows at most twofold a step, so one quick slice does not make the next one long.
 */
const nextSliceSize = (size: number, last: { events: number; ms: number }, sliceMs: number, pageSize: number) =>
  Math.min(pageSize, Math.max(MIN_SLICE, Math.min(size * 2, Math.floor((last.events * sliceMs) / Math.max(last.ms, 0.01)))));

/**
 * Brings projections that are behind up to the log's head together, before each goes live on
 * its own subscription. Replaying one event at a time on one subscription per projection read
 * the log once per projection and committed every write on its own: at start-up on 100k events,
 * three quarters of the time went to those commits (`bench/`, workload 6). Here the log is read
 * once, a slice at a time, and applied: each slice's writes and checkpoints, for every
 * projection, commit as one unit, and the event loop turns between slices. A slice lasts about
 * `sliceMs`, so that a node catching up on millions of events keeps answering requests with
 * about that much delay at worst (a page of a thousand held it for 60 to 170 ms of CPU at 100k).
 *
 * A slice on which a projection throws rolls back whole and ends the catch-up: every projection
 * then goes on live from its last committed slice, one event at a time, where a failing one is
 * isolated and retried as always (`ProjectionRunner`). On MongoDB, with no transaction here, the
 * slice's other writes stay and are applied again, which their position guard makes harmless.
 * Answers the position reached.
 */
export const catchUpTogether = async (
  log: EventStore,
  runners: readonly ProjectionRunner[],
  batch: Batch,
  logger: ProjectionLogger,
  { pageSize = MAX_SLICE, stopping = () => false, sliceMs = SLICE_MS }: SharedCatchUpOptions = {},
): Promise<GlobalPosition | null> => {
  const positions = await Promise.all(runners.map((runner) => runner.load()));
  if (positions.length === 0) return null;
  let after = positions.includes(null) ? null : positions.reduce((min, p) => (p! < min! ? p : min));
  let sliceSize = Math.min(pageSize, MIN_SLICE);
  for (;;) {
    if (stopping()) return after;
    // The log is read a slice at a time, inside the slice's time: decoding a page of events holds
    // the thread too, and a page read ahead of its slices held it for ~10 ms at 1,000 events.
    const began = cpuMs();
    const slice = await log.readAll(after, sliceSize);
    if (slice.length === 0) return after;
    let applied: Array<GlobalPosition | null>;
    try {
      applied = await batch(() => applyTogether(runners, slice));
    } catch (error) {
      logger.error('Shared catch-up stopped; the projections go on one event at a time', { after, error: (error as Error).message });
      return after;
    }
    runners.forEach((runner, n) => {
      const position = applied[n];
      if (position !== null) runner.committed(position);
    });
    after = slice[slice.length - 1].globalPosition;
    const asked = sliceSize;
    sliceSize = nextSliceSize(sliceSize, { events: slice.length, ms: cpuMs() - began }, sliceMs, pageSize);
    if (slice.length < asked) return after;
    // On the embedded stores every step above completes at once, so without this the whole
    // catch-up is one chain of microtasks and no request is read until it ends.
    await setImmediate();
  }
};
