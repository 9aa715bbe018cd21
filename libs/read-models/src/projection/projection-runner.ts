import { setTimeout as sleep } from 'node:timers/promises';
import { EventStore, GlobalPosition, RecordedEvent, Subscription } from '@keyhold/event-store';
import { CORRELATION_ID, CORRELATION_IDS, traced } from '@keyhold/tracing';
import { ThreadDutyCycle } from './thread-duty-cycle';
import { subscribeToAllInPages } from './paged-subscription';

/** Turns events into read-model writes; must be idempotent, since after a crash events come again. */
export type Projection = {
  readonly name: string;
  apply(event: RecordedEvent): Promise<void> | void;
  /**
   * The same as applying the events one by one in order, for a projection whose cost is per call
   * rather than per event (the lifecycle relay: one Kafka send). When present, the runner hands
   * it pages of events instead of single ones; a page that throws is applied again whole.
   */
  applyPage?(events: readonly RecordedEvent[]): Promise<void>;
};

export type CheckpointStore = {
  getCheckpoint(projection: string): Promise<string | null>;
  saveCheckpoint(projection: string, position: string): Promise<void>;
};

/** Where checkpoints go when the read model itself lives only in memory: nowhere. */
export const IN_MEMORY_CHECKPOINTS: CheckpointStore = {
  getCheckpoint: async () => null,
  saveCheckpoint: async () => undefined,
};

export type ProjectionStatus = {
  readonly name: string;
  readonly position: GlobalPosition | null;
  readonly failure: { readonly message: string; readonly position: GlobalPosition | null; readonly since: string } | null;
};

export type ProjectionLogger = { error(message: string, detail: Record<string, unknown>): void };

export type ProjectionRunnerOptions = {
  /**
   * The share of its thread's time the projection may take while it catches up on its own
   * subscription (`ThreadDutyCycle`), for one whose work no request waits for: it then reads the
   * log in pages, resting after each full one. Without it, a runner behind takes all it can.
   */
  readonly catchUpThreadShare?: number;
};

const CHECKPOINT_EVERY_EVENTS = 100;

/** Live events only: a span per event of a catch-up through millions would cost more than it tells. */
const projectionSpanAttributes = (event: RecordedEvent) => ({
  [CORRELATION_ID]: event.metadata.correlationId,
  'keyhold.event_type': event.type,
  'keyhold.position': event.globalPosition,
});
/** A page's span names every request whose events it applied, so that a search by correlation id still finds it. */
const pageSpanAttributes = (events: readonly RecordedEvent[]) => ({
  [CORRELATION_IDS]: [...new Set(events.map((event) => event.metadata.correlationId))],
  'keyhold.position': events[events.length - 1].globalPosition,
  'keyhold.events': events.length,
});
const CHECKPOINT_EVERY_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Runs one projection on its own subscription, so that a projection that fails on an event
 * stalls only itself: it logs, reports the failure in its status, and retries from the last
 * applied event with exponential back-off until the event goes through (after a fix, no
 * rebuild needed). Checkpoints are saved in batches; a crash between two saves only replays
 * events the projection already applied, which its idempotence makes harmless.
 */
export class ProjectionRunner {
  private position: GlobalPosition | null = null;
  private savedPosition: GlobalPosition | null = null;
  private lastSaveAt = 0;
  private unsavedEvents = 0;
  /** Saves the tail of a burst once the log goes quiet, so readers of checkpoints are not left behind. */
  private flushTimer: NodeJS.Timeout | null = null;
  private failure: ProjectionStatus['failure'] = null;
  private subscription: Subscription | null = null;
  private stopped = false;
  private loaded = false;
  private waiters: Array<{ position: GlobalPosition; settle: (reached: boolean) => void }> = [];

  constructor(
    private readonly events: EventStore,
    private readonly checkpoints: CheckpointStore,
    private readonly projection: Projection,
    private readonly logger: ProjectionLogger,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  /** Where the projection resumes: its saved checkpoint, read once. */
  async load(): Promise<GlobalPosition | null> {
    if (!this.loaded) {
      this.position = await this.checkpoints.getCheckpoint(this.projection.name);
      this.savedPosition = this.position;
      this.loaded = true;
    }
    return this.position;
  }

  /** Goes live on its own subscription from where it stands; a runner stopped before it started stays stopped. */
  async start(): Promise<void> {
    await this.load();
    if (this.stopped || this.flushTimer) return;
    this.flushTimer = setInterval(() => void this.trySaveCheckpoint(), CHECKPOINT_EVERY_MS);
    this.flushTimer.unref();
    void this.run();
  }

  /**
   * Applies the events of a shared page (a catch-up's or a live group's) that it has not applied yet, and saves the
   * page's end as its checkpoint, inside the caller's transaction; answers that end, or null if
   * it had nothing to do. Nothing counts as applied until the caller reports the page `committed`.
   */
  async applyPage(events: readonly RecordedEvent[]): Promise<GlobalPosition | null> {
    const end = events[events.length - 1]?.globalPosition;
    if (this.stopped || end === undefined || (this.position !== null && this.position >= end)) return null;
    const position = this.position;
    await this.applyEvents(position === null ? events : events.filter((event) => event.globalPosition > position));
    await this.checkpoints.saveCheckpoint(this.projection.name, end);
    return end;
  }

  /** The page that `applyPage` answered `position` for is committed: the projection stands there, checkpoint saved. */
  committed(position: GlobalPosition): void {
    this.position = position;
    this.savedPosition = position;
    this.unsavedEvents = 0;
    this.lastSaveAt = Date.now();
    this.notifyWaiters();
  }

  /** For a runner whose projection is applied elsewhere (a live thread): that one's failure, or null once it recovered, shows in this status. */
  failedElsewhere(failure: ProjectionStatus['failure']): void {
    this.failure = failure;
  }

  status(): ProjectionStatus {
    return { name: this.projection.name, position: this.position, failure: this.failure };
  }

  /**
   * Resolves once every event up to `position` is applied; false if that took longer than
   * `timeoutMs`, or if the runner stopped first.
   */
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<boolean> {
    if (this.position !== null && this.position >= position) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        resolve(false);
      }, timeoutMs);
      const entry = { position, settle: (reached: boolean) => (clearTimeout(timer), resolve(reached)) };
      this.waiters.push(entry);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiters.splice(0)) waiter.settle(false);
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.subscription?.close();
    await this.saveCheckpoint();
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopped) {
      const error = await this.subscribeUntilFailure();
      if (this.stopped) return;
      this.failure = {
        message: error.message,
        position: this.position,
        since: this.failure?.since ?? new Date().toISOString(),
      };
      this.logger.error(`Projection ${this.projection.name} failed; retrying in ${backoffMs} ms`, {
        projection: this.projection.name,
        after: this.position,
        error: error.message,
      });
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }

  /**
   * A projection that takes pages gets them live too, and so does one held to a share of the thread (its
   * rests come between pages); any other gets one event at a time.
   */
  private subscribeUntilFailure(): Promise<Error> {
    const share = this.options.catchUpThreadShare;
    return new Promise((resolve) => {
      this.subscription =
        this.projection.applyPage || share !== undefined
          ? subscribeToAllInPages(this.events, {
              after: this.position,
              onPage: (events) => this.applyLivePage(events),
              onError: resolve,
              catchUp: share === undefined ? undefined : new ThreadDutyCycle(share),
            })
          : this.events.subscribeToAll({ after: this.position, onEvent: (event) => this.applyLiveEvent(event), onError: resolve });
    });
  }

  private async applyLiveEvent(event: RecordedEvent): Promise<void> {
    await traced(`projection ${this.projection.name}`, projectionSpanAttributes(event), () => Promise.resolve(this.projection.apply(event)));
    await this.advance(event.globalPosition, 1);
  }

  /** A page received before a stop is left to the next start, which replays it from the checkpoint. */
  private async applyLivePage(events: readonly RecordedEvent[]): Promise<void> {
    if (this.stopped) return;
    await traced(`projection ${this.projection.name}`, pageSpanAttributes(events), () => this.applyEvents(events));
    await this.advance(events[events.length - 1].globalPosition, events.length);
  }

  /** The projection's own page step if it has one, else its events one by one. */
  private async applyEvents(events: readonly RecordedEvent[]): Promise<void> {
    if (this.projection.applyPage) return this.projection.applyPage(events);
    for (const event of events) await this.projection.apply(event);
  }

  private async advance(position: GlobalPosition, events: number): Promise<void> {
    this.position = position;
    this.failure = null;
    this.notifyWaiters();
    await this.maybeSaveCheckpoint(events);
  }

  private notifyWaiters(): void {
    const position = this.position;
    if (position === null) return;
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.position > position) return true;
      waiter.settle(true);
      return false;
    });
  }

  private async maybeSaveCheckpoint(events: number): Promise<void> {
    this.unsavedEvents += events;
    if (this.unsavedEvents >= CHECKPOINT_EVERY_EVENTS || Date.now() - this.lastSaveAt >= CHECKPOINT_EVERY_MS) {
      await this.trySaveCheckpoint();
    }
  }

  /**
   * A checkpoint that could not be saved is not a failure of the projection: the events are
   * applied, and the next save (or, after a crash, a harmless replay) makes up for it. Treating
   * it as one would leave the projection marked failing at the tail of the log, where no
   * event comes to clear the mark.
   */
  private async trySaveCheckpoint(): Promise<void> {
    await this.saveCheckpoint().catch((error: Error) =>
      this.logger.error(`Projection ${this.projection.name} could not save its checkpoint`, {
        projection: this.projection.name,
        error: error.message,
      }),
    );
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.position === null || this.position === this.savedPosition) return;
    const position = this.position;
    await this.checkpoints.saveCheckpoint(this.projection.name, position);
    this.savedPosition = position;
    this.unsavedEvents = 0;
    this.lastSaveAt = Date.now();
  }
}
