import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { EVENT_STORE, EventStore, GlobalPosition } from '@keyhold/event-store';
import { CheckpointStore, Projection, ProjectionRunner, ProjectionStatus } from '@keyhold/read-models';
import { ROOT_LOGGER } from './logger';

/** Hosts the projections that run in this process and answers how far each has come. */
@Injectable()
export class ProjectionsService {
  private readonly runners: ProjectionRunner[] = [];

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async run(projection: Projection, checkpoints: CheckpointStore): Promise<ProjectionRunner> {
    const runner = new ProjectionRunner(this.events, checkpoints, projection, {
      error: (message, detail) => this.logger.error(detail, message),
    });
    this.runners.push(runner);
    await runner.start();
    return runner;
  }

  statuses(): ProjectionStatus[] {
    return this.runners.map((runner) => runner.status());
  }

  /** Waits until every local projection has applied `position`; false when one did not in time. */
  async waitForAll(position: GlobalPosition, timeoutMs: number): Promise<boolean> {
    const reached = await Promise.all(this.runners.map((runner) => runner.waitFor(position, timeoutMs)));
    return reached.every(Boolean);
  }

  /** Stops every runner and saves its checkpoint; called before the stores close. */
  async stopAll(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }
}
