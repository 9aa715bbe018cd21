import { EventStore } from '@keyhold/event-store';
import { liveTogether, ReadModelGenerations } from '@keyhold/read-models';
import { CatchingUp, CatchUpControl } from './read-model-catch-up';

/** The read-model projections kept live, wherever that happens. */
export type LiveReadModels = {
  /** A rebuild moved the projection to another generation, where a runner of its own follows it: stop applying it here. */
  leave(projection: string): void;
  /** Stops them at a committed page, their checkpoints saved; afterwards nothing writes. */
  close(): Promise<void>;
};

/**
 * Keeps the read-model projections live once they caught up. Every committed page reaches its
 * runner here (`committed`), so that `waitForReads` (read-your-writes) and the statuses follow.
 */
export interface ReadModelsLive {
  start(projections: readonly CatchingUp[], control: CatchUpControl): LiveReadModels;
}

export const READ_MODELS_LIVE = Symbol('ReadModelsLive');

/**
 * On the serving thread: on a store that makes a page's writes one unit (SQLite: a transaction;
 * MongoDB: one bulk write per collection) together on one subscription (`liveTogether`);
 * elsewhere each on its own subscription, where a page would only add checkpoint writes.
 */
export class InProcessLive implements ReadModelsLive {
  constructor(
    private readonly log: EventStore,
    private readonly generations: ReadModelGenerations,
  ) {}

  start(projections: readonly CatchingUp[], { logger }: CatchUpControl): LiveReadModels {
    const runners = projections.map(({ runner }) => runner);
    const store = this.generations.at(0);
    // A projection that left is stopped by its mover (`ProjectionsService.move`): a stopped runner applies nothing more.
    const leave = () => undefined;
    if (store.batchesWrites) {
      const live = liveTogether(this.log, runners, (work) => store.batch(work), logger);
      return { leave, close: () => live.close() };
    }
    for (const runner of runners) void runner.start();
    return { leave, close: async () => undefined };
  }
}
