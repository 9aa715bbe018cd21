import { EventStore, GlobalPosition } from '@keyhold/event-store';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition } from '../read-model-store.port';
import { ProjectionFactory, ProjectionGeneration, ReadModelGenerations, RebuildLock } from './read-model-generations';

export type RebuildProgress = {
  /** Events read from the log so far. */
  readonly events: number;
  readonly position: GlobalPosition | null;
  /** The head of the log as last seen; it moves while the service keeps writing. */
  readonly head: GlobalPosition | null;
};

type Target = { readonly projection: Projection; readonly collections: CollectionDefinition[] };

const BATCH_SIZE = 1000;
const LOCK_TTL_MS = 60_000;

/**
 * One rebuild of some read models: replays the log from its start into a fresh generation with
 * the projections' own code, then switches readers and the worker over to it. Holds the
 * rebuild lock from start to switch (renewing it as it goes), so two rebuilds never interleave.
 */
export class ReadModelRebuild {
  private position: GlobalPosition | null = null;
  private eventsRead = 0;
  private lockRenewedAt = Date.now();

  private constructor(
    private readonly log: EventStore,
    private readonly generations: ReadModelGenerations,
    private readonly lock: RebuildLock,
    readonly generation: number,
    private readonly targets: readonly Target[],
  ) {}

  /** Takes the lock (or throws RebuildLockedError) and reserves a never-used generation, so its collections start empty. */
  static async start(log: EventStore, generations: ReadModelGenerations, builds: readonly ProjectionFactory[], owner: string): Promise<ReadModelRebuild> {
    const lock = await generations.acquireLock(owner, LOCK_TTL_MS);
    try {
      const generation = await generations.reserveGeneration();
      const targets = builds.map((build) => generations.bind(build, generation));
      return new ReadModelRebuild(log, generations, lock, generation, targets);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get projections(): string[] {
    return this.targets.map((target) => target.projection.name);
  }

  /** Every collection the rebuilt projections write, by logical name. */
  get collections(): CollectionDefinition[] {
    return this.targets.flatMap((target) => target.collections);
  }

  get events(): number {
    return this.eventsRead;
  }

  /**
   * Applies the log in batches until a read finds nothing newer. The first catch-up fills an
   * empty generation, which nothing reads yet: its indexes are built once, at the end.
   */
  async catchUp(onProgress: (progress: RebuildProgress) => void = () => undefined): Promise<void> {
    if (this.position !== null) return this.applyLog(onProgress);
    await this.generations.at(this.generation).bulkLoad(this.collections, () => this.applyLog(onProgress));
  }

  private async applyLog(onProgress: (progress: RebuildProgress) => void): Promise<void> {
    let head = await this.log.headPosition();
    for (;;) {
      const batch = await this.log.readAll(this.position, BATCH_SIZE);
      if (batch.length === 0) return;
      const store = this.generations.at(this.generation);
      await store.batch(async () => {
        for (const event of batch) {
          for (const { projection } of this.targets) await projection.apply(event);
        }
      });
      await store.leaveRoomForOtherWriters();
      this.position = batch[batch.length - 1].globalPosition;
      this.eventsRead += batch.length;
      if (head === null || this.position > head) head = await this.log.headPosition();
      await this.renewLockIfDue();
      onProgress({ events: this.eventsRead, position: this.position, head });
    }
  }

  /**
   * Catches up one last time, records where the new generation stands as each projection's
   * checkpoint there (the worker resumes from it), and switches every projection in one write.
   * Answers where they were before, for `clearPrevious`.
   */
  async switchOver(): Promise<Record<string, ProjectionGeneration>> {
    await this.catchUp();
    const store = this.generations.at(this.generation);
    if (this.position !== null) {
      for (const name of this.projections) await store.saveCheckpoint(name, this.position);
    }
    const moves = Object.fromEntries(
      this.targets.map((target) => [target.projection.name, { generation: this.generation, collections: target.collections.map((c) => c.name) }]),
    );
    try {
      return await this.generations.switchTo(moves);
    } finally {
      await this.lock.release();
    }
  }

  /** Gives up: empties what was written to the new generation, which nothing points at, and frees the lock. */
  async abandon(): Promise<void> {
    try {
      await this.clear(this.generation, this.collections.map((c) => c.name));
    } finally {
      await this.lock.release();
    }
  }

  /** Empties the generations the switch left behind; call once every process has seen the switch. */
  async clearPrevious(previous: Record<string, ProjectionGeneration>): Promise<void> {
    for (const entry of Object.values(previous)) {
      if (entry.generation !== this.generation) await this.clear(entry.generation, entry.collections);
    }
  }

  private async clear(generation: number, collections: readonly string[]): Promise<void> {
    const store = this.generations.at(generation);
    for (const name of collections) await store.collection({ name, indexes: [] }).clear();
  }

  private async renewLockIfDue(): Promise<void> {
    if (Date.now() - this.lockRenewedAt < LOCK_TTL_MS / 3) return;
    await this.lock.renew();
    this.lockRenewedAt = Date.now();
  }
}
