import { setImmediate } from 'node:timers/promises';
import { EventStore, GlobalPosition, RecordedEvent } from '@keyhold/event-store';
import { CollectionDefinition, ReadModelStore } from '../read-model-store.port';
import { ProjectionLogger, ProjectionRunner } from './projection-runner';
import { ThreadDutyCycle } from './thread-duty-cycle';

/** Runs a page's writes as one unit: the read-model store's `batch`. */
export type Batch = <T>(work: () => Promise<T>) => Promise<T>;

export type SharedCatchUpOptions = {
  /** The most events one slice reads and applies (every slice, when paced); by default it follows `sliceMs`. */
  readonly pageSize?: number;
  /** Checked between slices: a shutdown ends the catch-up at the last committed slice. */
  readonly stopping?: () => boolean;
  /** How long one slice (its writes and their commit) may hold the thread before the event loop turns. */
  readonly sliceMs?: number;
  /**
   * Holds the catch-up to a share of its thread's time, for one that no request waits for (the
   * relay and the key shredder on the serving thread): each page is applied whole, as one
   * slice, and a rest follows it. Slices are not timed then: they are timed in the process's CPU
   * time, which counts other threads (a read-model catch-up thread beside it) and would shrink
   * them to a few events each, every one a checkpoint write.
   */
  readonly pace?: ThreadDutyCycle;
};

/** The first slice's size, before any has measured what an event costs, and the least one may shrink to. */
const MIN_SLICE = 10;
/** Time on the thread per slice: a request that arrives meanwhile waits about this long, not a page's worth. */
const SLICE_MS = 10;
/**
 * The default page: 100 events per ms of slice, so 1,000 for the serving thread's 10 ms slices,
 * up to 10,000 for a catch-up given long slices (on a thread of its own). A fixed page of 1,000
 * held such a catch-up to slices of 1,000 events, each commit rewriting the same random index
 * pages: at 100k events, 108 commits cost 5.7 s of CPU where 23 slices of up to 10,000 cost 2.1 s.
 */
const pageSizeFor = (sliceMs: number) => Math.min(10_000, Math.max(1000, Math.round(sliceMs * 100)));

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
export const applyTogether = async (runners: readonly ProjectionRunner[], slice: readonly RecordedEvent[]): Promise<Array<GlobalPosition | null>> => {
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
 * once, a slice at a time: each slice's writes and checkpoints, for every
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
  { stopping = () => false, sliceMs = SLICE_MS, pageSize = pageSizeFor(sliceMs), pace }: SharedCatchUpOptions = {},
): Promise<GlobalPosition | null> => {
  const positions = await Promise.all(runners.map((runner) => runner.load()));
  if (positions.length === 0) return null;
  let after = positions.includes(null) ? null : positions.reduce((min, p) => (p! < min! ? p : min));
  let sliceSize = pace ? pageSize : Math.min(pageSize, MIN_SLICE);
  for (;;) {
    if (stopping()) return after;
    // Reading and decoding the slice is the pace's work too.
    pace?.begin();
    // A read is one slice: read a page of 10,000 events at once and applied in slices, the page
    // outlived the young generation's collections and was copied to the old one. Start-up replay
    // at 100k events went from 7.1–8.1 to 6.8–7.6 CPU-seconds (3 runs each, side by side).
    const size = sliceSize;
    const slice = await log.readAll(after, size);
    if (slice.length === 0) return after;
    const began = cpuMs();
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
    if (!pace) sliceSize = nextSliceSize(size, { events: slice.length, ms: cpuMs() - began }, sliceMs, pageSize);
    // On the embedded stores every step above completes at once, so without this the whole
    // catch-up is one chain of microtasks and no request is read until it ends. A rest ends the turn too.
    if (pace) await pace.rest();
    else await setImmediate();
    if (slice.length < size) return after;
  }
};

/** A projection about to catch up: its runner, the store it writes through, and the collections it fills there. */
export type CatchingUpInto = {
  readonly runner: ProjectionRunner;
  readonly store: ReadModelStore;
  readonly collections: readonly CollectionDefinition[];
};

/**
 * Runs `catchUp` with the collections of every projection that starts from nothing (no
 * checkpoint: read models dropped, or a projection new to this log) bulk-loaded, as a rebuild
 * fills its generation: without their indexes, built once when it ends. Kept up write by write,
 * the indexes were most of a catch-up thread's CPU (at 100k events, start-up replay took 17.7 to
 * 20 CPU-seconds with them, about 12 without). Meanwhile a serving node's queries on those
 * collections scan their tables (gets by id keep the primary key), answering from a partial read
 * model as they did before; projections with a checkpoint keep their indexes.
 */
export const bulkLoadingFromNothing = async <T>(projections: readonly CatchingUpInto[], catchUp: () => Promise<T>): Promise<T> => {
  const fromNothing: CatchingUpInto[] = [];
  for (const projection of projections) if ((await projection.runner.load()) === null) fromNothing.push(projection);
  const loading = fromNothing.reduce<() => Promise<T>>(
    (inner, { store, collections }) => () => (store.bulkLoad ? store.bulkLoad(collections, inner) : inner()),
    catchUp,
  );
  return loading();
};
