import { Inject, Injectable, Optional } from '@nestjs/common';
import { Logger } from 'pino';
import { EVENT_STORE, EventStore, GlobalPosition } from '@keyhold/event-store';
import {
  catchUpTogether,
  CheckpointStore,
  Projection,
  ProjectionFactory,
  ProjectionLogger,
  ProjectionRunner,
  ProjectionStatus,
  projectionNameOf,
  ReadModelGenerations,
  ThreadDutyCycle,
} from '@keyhold/read-models';
import { ROOT_LOGGER } from './logger';
import { CatchingUp, InProcessCatchUp, READ_MODEL_CATCH_UP, ReadModelCatchUp } from './read-model-catch-up';
import { InProcessLive, LiveReadModels, READ_MODELS_LIVE, ReadModelsLive } from './read-models-live';

/** A read-model projection and the runner feeding its current generation; the runner is replaced on a switch. */
type ReadModelSlot = { readonly build: ProjectionFactory; generation: number; runner: ProjectionRunner; moving: Promise<void> };

const RETRY_MOVE_MS = 1000;

/** Whether requests read what a projection writes (a command waits for it) or none does (the relay, the key shredder). */
export type ProjectionServes = 'reads' | 'background';

export type HostedProjectionStatus = ProjectionStatus & { readonly serves: ProjectionServes };

/**
 * What a background projection (the relay, the key shredder) may take of the serving thread's
 * time while it catches up there. Without their checkpoints (a data dir restored without
 * `background-checkpoints.sqlite`) they read, decode and republish the whole log there: at 1M
 * events introspection fell to 0.13 of steady, p99 14x, for the minute it took; held to a
 * quarter it kept 0.63 of steady where it had 0.21 in the same sitting (README, Performance).
 * A tenth now: what the duty cycle measures is about 40% of what a stretch costs the thread (the
 * scavenges of its garbage and part of the bus consumers' work fall in later turns, among
 * requests), so at a quarter it took 2.2 s of the serving thread's 3.4-4.0 s in a 5 s window at
 * 1M, and introspection kept 0.44-0.48 of steady at 100k. At a tenth: 3 alternated pairs at
 * 100k gave windows of 3.4-5.3k req/s where a quarter gave 1.5-4.2k, and the full run of
 * 2026-11-30 05:35 kept 0.72-0.76 of steady at 100k and 0.89-0.95 at 1M; the relay takes about
 * two and a half times as long, background work that no request waits for. Paced here
 * rather than moved to the catch-up thread: the in-process bus's consumers of what the relay
 * publishes live on this thread, and would take the republished log unpaced. The share is for
 * all of them together: they catch up on one reading of the log (`runInBackground`).
 */
const BACKGROUND_CATCH_UP_THREAD_SHARE = 0.1;

/**
 * Events the background projections take at once while they catch up together: each page is a
 * stretch of the serving thread (reading and decoding it, the relay's publish and the in-process
 * consumers of that), about 10 ms at 250 on the bench's machine; the rest that follows it is
 * three times as long.
 */
const BACKGROUND_CATCH_UP_PAGE = 250;

/** Hosts the projections that run in this process and answers how far each has come. */
@Injectable()
export class ProjectionsService {
  private readonly runners: ProjectionRunner[] = [];
  /** Runners whose output no request reads (the lifecycle relay, the key shredder): writes never wait for them. */
  private readonly background = new Set<ProjectionRunner>();
  private readonly readModelSlots = new Map<string, ReadModelSlot>();
  private readonly stop = new AbortController();
  private catchingUp: Promise<void> = Promise.resolve();
  private backgroundCatchingUp: Promise<void> = Promise.resolve();
  /** The read-model projections kept live, once they caught up. */
  private live: LiveReadModels | null = null;
  private readonly projectionLogger: ProjectionLogger = { error: (message, detail) => this.logger.error(detail, message) };
  private readonly catchUp: ReadModelCatchUp;
  private readonly goLive: ReadModelsLive;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly generations: ReadModelGenerations,
    @Optional() @Inject(READ_MODEL_CATCH_UP) catchUp?: ReadModelCatchUp,
    @Optional() @Inject(READ_MODELS_LIVE) goLive?: ReadModelsLive,
  ) {
    this.catchUp = catchUp ?? new InProcessCatchUp(events, generations);
    this.goLive = goLive ?? new InProcessLive(events, generations);
    generations.onSwitch((projection, generation) => this.follow(projection, generation));
  }

  /** Runs a projection whose output requests read (the credential index): a command waits for it (`waitForReads`). */
  async run(projection: Projection, checkpoints: CheckpointStore): Promise<ProjectionRunner> {
    const runner = this.runnerFor(projection, checkpoints);
    await runner.start();
    this.runners.push(runner);
    return runner;
  }

  /**
   * Runs projections whose output no request reads (the lifecycle relay, the key shredder), so
   * that a slow or unreachable Kafka behind the relay never delays a write's answer. Those behind
   * first catch up together on this thread, at BACKGROUND_CATCH_UP_THREAD_SHARE of it: one
   * reading of the log for all, where one subscription each read and decoded the whole log once
   * per projection when their checkpoints were lost. Then each goes live on its own subscription,
   * which also takes over, paced the same, if the shared catch-up stops on a failure.
   */
  async runInBackground(projections: readonly Projection[], checkpoints: CheckpointStore): Promise<void> {
    const runners = projections.map(
      (projection) => new ProjectionRunner(this.events, checkpoints, projection, this.projectionLogger, { catchUpThreadShare: BACKGROUND_CATCH_UP_THREAD_SHARE }),
    );
    for (const runner of runners) {
      await runner.load();
      this.runners.push(runner);
      this.background.add(runner);
    }
    this.backgroundCatchingUp = this.catchUpInBackgroundThenGoLive(runners);
  }

  /**
   * Runs the read-model projections, each on its current generation with that generation's
   * checkpoint, and moves each to the next one when a rebuild switches over. Those behind first
   * catch up together (`ReadModelCatchUp`: on a worker thread for the embedded stores), in the
   * background: their progress shows in `statuses` and `waitForReads` meanwhile. Then they go
   * live (`ReadModelsLive`: for the embedded stores on a worker thread of their own), on a store
   * that batches writes together (`liveTogether`: one subscription, one transaction
   * per page of new events).
   */
  async runReadModels(builds: readonly ProjectionFactory[]): Promise<void> {
    const catchingUp: CatchingUp[] = [];
    for (const build of builds) {
      const name = projectionNameOf(build);
      const generation = this.generations.generationOf(name);
      const { projection } = this.generations.bind(build, generation);
      const runner = this.runnerFor(projection, this.generations.at(generation));
      await runner.load();
      catchingUp.push({ name, generation, runner });
      this.readModelSlots.set(name, { build, generation, runner, moving: Promise.resolve() });
    }
    this.catchingUp = this.catchUpThenGoLive(catchingUp);
  }

  statuses(): HostedProjectionStatus[] {
    return this.allRunners().map((runner) => ({ ...runner.status(), serves: this.background.has(runner) ? 'background' : 'reads' }));
  }

  /**
   * Waits until every local projection that serves reads has applied `position`; false when
   * one did not in time.
   */
  async waitForReads(position: GlobalPosition, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const reached = await Promise.all([
      ...this.runners.filter((runner) => !this.background.has(runner)).map((runner) => runner.waitFor(position, timeoutMs)),
      ...[...this.readModelSlots.values()].map((slot) => this.waitForSlot(slot, position, deadline)),
    ]);
    return reached.every(Boolean);
  }

  /** Stops every runner and saves its checkpoint; called before the stores close. */
  async stopAll(): Promise<void> {
    this.stop.abort();
    await this.catchingUp;
    await this.backgroundCatchingUp;
    await this.live?.close();
    await Promise.all([...this.readModelSlots.values()].map((slot) => slot.moving));
    await Promise.all(this.allRunners().map((runner) => runner.stop()));
  }

  private allRunners(): ProjectionRunner[] {
    return [...this.runners, ...[...this.readModelSlots.values()].map((slot) => slot.runner)];
  }

  private runnerFor(projection: Projection, checkpoints: CheckpointStore): ProjectionRunner {
    return new ProjectionRunner(this.events, checkpoints, projection, this.projectionLogger);
  }

  private async startRunner(projection: Projection, checkpoints: CheckpointStore): Promise<ProjectionRunner> {
    const runner = this.runnerFor(projection, checkpoints);
    await runner.start();
    return runner;
  }

  /** A runner that a switch replaced meanwhile is stopped, and stays so. */
  private async catchUpThenGoLive(catchingUp: readonly CatchingUp[]): Promise<void> {
    const started = Date.now();
    try {
      const { position, onThread } = await this.catchUp.run(catchingUp, { stop: this.stop.signal, logger: this.projectionLogger });
      this.logger.info({ position, ms: Date.now() - started, onThread }, 'Read models caught up with the log together');
    } catch (error) {
      this.logger.error({ error: (error as Error).message }, 'Shared catch-up failed; the projections go on one event at a time');
    }
    if (this.stop.signal.aborted) return;
    this.live = this.goLive.start(catchingUp, { stop: this.stop.signal, logger: this.projectionLogger });
  }

  /** Nothing to commit as a unit: each checkpoint write stands alone, as on the runners' own subscriptions. */
  private async catchUpInBackgroundThenGoLive(runners: readonly ProjectionRunner[]): Promise<void> {
    await catchUpTogether(this.events, runners, (work) => work(), this.projectionLogger, {
      stopping: () => this.stop.signal.aborted,
      pageSize: BACKGROUND_CATCH_UP_PAGE,
      pace: new ThreadDutyCycle(BACKGROUND_CATCH_UP_THREAD_SHARE),
    });
    if (this.stop.signal.aborted) return;
    await Promise.all(runners.map((runner) => runner.start()));
  }

  /** A waiter on a runner that a switch replaced goes on waiting on its successor. */
  private async waitForSlot(slot: ReadModelSlot, position: GlobalPosition, deadline: number): Promise<boolean> {
    for (;;) {
      const runner = slot.runner;
      if (await runner.waitFor(position, Math.max(0, deadline - Date.now()))) return true;
      if (slot.runner === runner || Date.now() >= deadline) return false;
    }
  }

  private follow(name: string, generation: number): void {
    const slot = this.readModelSlots.get(name);
    if (!slot) return;
    slot.moving = slot.moving.then(() => this.move(name, slot, generation));
  }

  /**
   * Starts the projection on the new generation before stopping it on the old one, so that
   * readers waiting for their writes always have a runner to wait on.
   */
  private async move(name: string, slot: ReadModelSlot, generation: number): Promise<void> {
    if (this.stop.signal.aborted || slot.generation === generation || this.generations.generationOf(name) !== generation) return;
    try {
      const { projection } = this.generations.bind(slot.build, generation);
      const next = await this.startRunner(projection, this.generations.at(generation));
      const previous = slot.runner;
      slot.runner = next;
      slot.generation = generation;
      this.live?.leave(name);
      await previous.stop();
      this.logger.info({ projection: name, generation }, 'Projection moved to a rebuilt generation');
    } catch (error) {
      this.logger.error({ projection: name, generation, error: (error as Error).message }, 'Projection could not move to a rebuilt generation; retrying');
      setTimeout(() => this.follow(name, generation), RETRY_MOVE_MS).unref();
    }
  }
}
