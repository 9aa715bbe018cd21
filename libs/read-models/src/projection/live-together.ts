import { EventStore, RecordedEvent, Subscription } from '@keyhold/event-store';
import { traced } from '@keyhold/tracing';
import { subscribeToAllInPages } from './paged-subscription';
import { ProjectionLogger, ProjectionRunner } from './projection-runner';
import { applyTogether, Batch } from './shared-catch-up';

/**
 * Keeps read-model projections live on one subscription, each page of new events applied by every
 * projection and committed as one unit (the store's `batch`: one SQLite transaction), with each
 * projection's checkpoint. Live one event at a time on a subscription each, every read-model write
 * was a transaction of its own: under `POST /v1/tokens` at 50 connections those commits took 19%
 * of the node's CPU (`bench/`, workload 3), and a command's answer waited on all of them.
 *
 * A page is what arrived in one turn of the event loop (`subscribeToAllInPages`: a group commit of
 * the log shows up as one page). A projection is committed, and its waiters answered, only once the
 * page's unit commits.
 *
 * A page on which a projection throws rolls back whole, and is applied again by each projection
 * in a unit of its own: the others go on together, and the failing one leaves the group to run on
 * its own subscription, where it reports its failure and retries with back-off, isolated as
 * always (`ProjectionRunner.start`). Should the subscription itself fail, every projection goes
 * on alone the same way.
 *
 * `onCommitted` is told after each page's unit commits and its runners stand at its end (a
 * thread reports that to the runners its readers wait on).
 */
export const liveTogether = (
  log: EventStore,
  runners: readonly ProjectionRunner[],
  batch: Batch,
  logger: ProjectionLogger,
  onCommitted: () => void = () => undefined,
): Subscription => {
  let group = [...runners];

  const leave = (runner: ProjectionRunner, error: unknown) => {
    group = group.filter((member) => member !== runner);
    logger.error(`Projection ${runner.status().name} left the live group; it goes on alone`, { error: (error as Error).message });
    void runner.start();
  };

  const applyPage = async (events: readonly RecordedEvent[]) => {
    if (group.length === 0) return;
    const members = group;
    try {
      // One span per page: a span per event and projection cost more than the write it traced.
      const attributes = { 'keyhold.position': events[events.length - 1].globalPosition, 'keyhold.events': events.length };
      const ends = await traced('read models page', attributes, () => batch(() => applyTogether(members, events)));
      members.forEach((runner, n) => {
        const end = ends[n];
        if (end !== null) runner.committed(end);
      });
      onCommitted();
    } catch {
      for (const runner of members) {
        try {
          const end = await batch(() => runner.applyPage(events));
          if (end !== null) runner.committed(end);
        } catch (error) {
          leave(runner, error);
        }
      }
      onCommitted();
    }
  };

  const positions = runners.map((runner) => runner.status().position);
  const after = positions.includes(null) ? null : positions.reduce((min, p) => (p! < min! ? p : min));
  // Its close waits for the pages received to be committed, so that nothing writes after the store closes.
  return subscribeToAllInPages(log, {
    after,
    onPage: applyPage,
    onError: (error) => {
      for (const runner of group) leave(runner, error);
    },
  });
};
