import { setImmediate } from 'node:timers/promises';
import { EventStore, GlobalPosition, RecordedEvent } from '@keyhold/event-store';
import { ProjectionLogger, ProjectionRunner } from './projection-runner';

/** Runs a page's writes as one unit: the read-model store's `batch`. */
export type Batch = <T>(work: () => Promise<T>) => Promise<T>;

export type SharedCatchUpOptions = {
  readonly pageSize?: number;
  /** Checked between pages: a shutdown ends the catch-up at the last committed page. */
  readonly stopping?: () => boolean;
};

/**
 * Together, not one projection after another: on a store without transactions (MongoDB) their
 * writes overlap. Every projection finishes the page before a failure is reported, so that a
 * rollback comes after the last write of the unit, not amid a slower projection's writes.
 */
const applyTogether = async (runners: readonly ProjectionRunner[], page: readonly RecordedEvent[]): Promise<Array<GlobalPosition | null>> => {
  const outcomes = await Promise.allSettled(runners.map((runner) => runner.applyPage(page)));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<GlobalPosition | null>).value);
};

/**
 * Brings projections that are behind up to the log's head together, before each goes live on
 * its own subscription. Replaying one event at a time on one subscription per projection read
 * the log once per projection and committed every write on its own: at start-up on 100k events,
 * three quarters of the time went to those commits (`bench/`, workload 6). Here the log is read
 * once, and each page's writes and checkpoints, for every projection, commit as one unit.
 *
 * A page on which a projection throws rolls back whole and ends the catch-up: every projection
 * then goes on live from its last committed page, one event at a time, where a failing one is
 * isolated and retried as always (`ProjectionRunner`). On MongoDB, with no transaction here, the
 * page's other writes stay and are applied again, which their position guard makes harmless.
 * Answers the position reached.
 */
export const catchUpTogether = async (
  log: EventStore,
  runners: readonly ProjectionRunner[],
  batch: Batch,
  logger: ProjectionLogger,
  { pageSize = 1000, stopping = () => false }: SharedCatchUpOptions = {},
): Promise<GlobalPosition | null> => {
  const positions = await Promise.all(runners.map((runner) => runner.load()));
  if (positions.length === 0) return null;
  let after = positions.includes(null) ? null : positions.reduce((min, p) => (p! < min! ? p : min));
  for (;;) {
    if (stopping()) return after;
    const page = await log.readAll(after, pageSize);
    if (page.length === 0) return after;
    let applied: Array<GlobalPosition | null>;
    try {
      applied = await batch(() => applyTogether(runners, page));
    } catch (error) {
      logger.error('Shared catch-up stopped; the projections go on one event at a time', { after, error: (error as Error).message });
      return after;
    }
    runners.forEach((runner, n) => {
      const position = applied[n];
      if (position !== null) runner.committed(position);
    });
    after = page[page.length - 1].globalPosition;
    if (page.length < pageSize) return after;
    // On the embedded stores every step above completes at once, so without this the whole
    // catch-up is one chain of microtasks and no request is read until it ends.
    await setImmediate();
  }
};
