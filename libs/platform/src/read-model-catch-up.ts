import { EventStore, GlobalPosition } from '@keyhold/event-store';
import { catchUpTogether, ProjectionLogger, ProjectionRunner, ReadModelGenerations } from '@keyhold/read-models';

/** A read-model projection about to catch up: its name, the generation it writes, and the runner that goes live after. */
export type CatchingUp = { readonly name: string; readonly generation: number; readonly runner: ProjectionRunner };

export type CatchUpControl = {
  /** Aborted on shutdown: the catch-up ends at its last committed slice. */
  readonly stop: AbortSignal;
  readonly logger: ProjectionLogger;
};

/** Where the catch-up ended, and whether it ran on a thread of its own (for the log: operators ask where the CPU went). */
export type CatchUpOutcome = { readonly position: GlobalPosition | null; readonly onThread: boolean };

/**
 * Brings read-model projections that are behind up to the log's head before they go live. Each
 * committed slice is reported to its runner (`committed`), so that `statuses` and `waitForReads`
 * follow the catch-up as it goes.
 */
export interface ReadModelCatchUp {
  run(projections: readonly CatchingUp[], control: CatchUpControl): Promise<CatchUpOutcome>;
}

export const READ_MODEL_CATCH_UP = Symbol('ReadModelCatchUp');

/**
 * On the serving thread, in slices of about 10 ms with the event loop turning between them: for
 * a short catch-up, and for stores that a worker thread cannot open on its own (MongoDB,
 * EventStoreDB, whose catch-up waits on the network more than it holds the thread).
 */
export class InProcessCatchUp implements ReadModelCatchUp {
  constructor(
    private readonly log: EventStore,
    private readonly generations: ReadModelGenerations,
  ) {}

  async run(projections: readonly CatchingUp[], { stop, logger }: CatchUpControl): Promise<CatchUpOutcome> {
    const position = await catchUpTogether(
      this.log,
      projections.map((p) => p.runner),
      (work) => this.generations.at(0).batch(work),
      logger,
      { stopping: () => stop.aborted },
    );
    return { position, onThread: false };
  }
}
