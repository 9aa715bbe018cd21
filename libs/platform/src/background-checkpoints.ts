import { CheckpointStore, ReadModelStore, SqliteReadModelStore } from '@keyhold/read-models';

export const BACKGROUND_CHECKPOINTS = Symbol('BackgroundCheckpoints');

/** Checkpoints of the projections no request reads (the lifecycle relay, the key shredder), and the means to close them. */
export type BackgroundCheckpoints = CheckpointStore & { close(): Promise<void> };

/**
 * With embedded read models, the relay's and the key shredder's checkpoints live in a file of
 * their own: they are not read models. Kept among them, dropping `read-models.sqlite` to rebuild
 * it made the relay publish the whole log again, and the serving thread spent the restart's first
 * seconds on that (`bench/`, workload 8). The file is opened on first use, since only a process
 * running the worker role has such checkpoints; until it holds a projection's checkpoint, the one
 * in the read models still counts, so a data dir from before this file existed resumes where it was.
 */
export class FileBackgroundCheckpoints implements BackgroundCheckpoints {
  private own: SqliteReadModelStore | null = null;

  constructor(
    private readonly file: string,
    private readonly before: CheckpointStore,
  ) {}

  async getCheckpoint(projection: string): Promise<string | null> {
    return (await this.opened().getCheckpoint(projection)) ?? this.before.getCheckpoint(projection);
  }

  saveCheckpoint(projection: string, position: string): Promise<void> {
    return this.opened().saveCheckpoint(projection, position);
  }

  async close(): Promise<void> {
    await this.own?.close();
  }

  private opened(): SqliteReadModelStore {
    // The serving thread's writes wait asynchronously on a lock, never in SQLite (as its read models do).
    this.own ??= new SqliteReadModelStore(this.file, { blockOnLockMs: 0 });
    return this.own;
  }
}

/** Elsewhere (MongoDB) they stay beside the read models, which a rebuild never drops. */
export const checkpointsBeside = (readModels: ReadModelStore): BackgroundCheckpoints => ({
  getCheckpoint: (projection) => readModels.getCheckpoint(projection),
  saveCheckpoint: (projection, position) => readModels.saveCheckpoint(projection, position),
  close: async () => undefined,
});
