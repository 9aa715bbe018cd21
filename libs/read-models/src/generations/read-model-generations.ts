import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelCollection, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

/** Builds a projection over the store it is given; the projection opens its collections as it is built. */
export type ProjectionFactory = (readModels: ReadModelStore) => Projection;

/** Where one projection's documents live: its generation, and the collections it wrote there. */
export type ProjectionGeneration = { readonly generation: number; readonly collections: readonly string[] };

type Pointers = ReadModelDocument & {
  id: typeof POINTERS_ID;
  revision: number;
  /** The highest generation ever handed out, so that an abandoned rebuild's number is never reused. */
  lastGeneration: number;
  projections: Record<string, ProjectionGeneration>;
};

type LockHolder = { owner: string | null; expiresAt: number };
type Lock = ReadModelDocument & LockHolder & { id: typeof LOCK_ID; sequence: number };

/** Not a read model of any projection: it lives beside them under a name of its own, never remapped. */
const META: CollectionDefinition = { name: 'read_model_generations', indexes: [] };
const POINTERS_ID = 'pointers';
const LOCK_ID = 'rebuild-lock';
const EMPTY: Pointers = { id: POINTERS_ID, revision: 0, lastGeneration: 0, projections: {} };

/** Versions compare as text in both adapters: fixed-width digits sort like the numbers. */
const versionOf = (n: number) => String(n).padStart(20, '0');

/** How often every process re-reads the pointers; a switch reaches them within about this long. */
export const GENERATION_REFRESH_MS = 1000;

const opensNothing = (): never => {
  throw new Error('This store only serves to name projections; it opens no collection.');
};
const NAMING_STORE: ReadModelStore = {
  collection: <T extends ReadModelDocument>() => new Proxy({}, { get: () => opensNothing }) as ReadModelCollection<T>,
  getCheckpoint: opensNothing,
  saveCheckpoint: opensNothing,
  ping: opensNothing,
  close: opensNothing,
};

/** A projection's name, learnt without opening or writing anything. */
export const projectionNameOf = (build: ProjectionFactory): string => build(NAMING_STORE).name;

/** Generation 0 keeps today's names, so data written before generations existed needs no migration. */
const generationName = (name: string, generation: number) => (generation === 0 ? name : `${name}__g${generation}`);

export class RebuildLockedError extends Error {
  constructor(owner: string, expiresAt: number) {
    super(`Another rebuild (${owner}) holds the read-model rebuild lock until ${new Date(expiresAt).toISOString()}; try again after it finishes.`);
    this.name = 'RebuildLockedError';
  }
}

/** The rebuild lock as one holder sees it: renew it while working, release it when done. */
export type RebuildLock = { renew(): Promise<void>; release(): Promise<void> };

/** The store seen at one fixed generation: every collection and checkpoint name carries it. */
class GenerationStore implements ReadModelStore {
  constructor(
    private readonly store: ReadModelStore,
    private readonly generation: number,
  ) {}

  collection<T extends ReadModelDocument>(definition: CollectionDefinition): ReadModelCollection<T> {
    return this.store.collection<T>({ ...definition, name: generationName(definition.name, this.generation) });
  }

  getCheckpoint(projection: string): Promise<string | null> {
    return this.store.getCheckpoint(generationName(projection, this.generation));
  }

  saveCheckpoint(projection: string, position: string): Promise<void> {
    return this.store.saveCheckpoint(generationName(projection, this.generation), position);
  }

  batch<T>(work: () => Promise<T>): Promise<T> {
    return this.store.batch ? this.store.batch(work) : work();
  }

  /** Whether `batch` makes a burst of writes one unit (SQLite's transaction, MongoDB's bulk write) rather than simply running it. */
  get batchesWrites(): boolean {
    return this.store.batch !== undefined;
  }

  bulkLoad<T>(collections: readonly CollectionDefinition[], load: () => Promise<T>): Promise<T> {
    const named = collections.map((definition) => ({ ...definition, name: generationName(definition.name, this.generation) }));
    return this.store.bulkLoad ? this.store.bulkLoad(named, load) : load();
  }

  async leaveRoomForOtherWriters(): Promise<void> {
    await this.store.leaveRoomForOtherWriters?.();
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  /** The underlying store belongs to ReadModelGenerations, which closes it. */
  async close(): Promise<void> {}
}

/**
 * Read models in generations, so that a rebuild can fill fresh collections from the log while
 * the service keeps reading the current ones, then switch over in one write. A pointer document
 * in the store names each projection's current generation and collections; every process
 * re-reads it every `refreshMs`, so a switch reaches running processes without a restart.
 * Works over any ReadModelStore and any collection: nothing here lists collection names.
 */
export class ReadModelGenerations {
  private pointers: Pointers = EMPTY;
  private readonly meta: ReadModelCollection<ReadModelDocument>;
  private readonly listeners = new Set<(projection: string, generation: number) => void>();
  private readonly liveCollections = new Map<string, ReadModelCollection<ReadModelDocument>>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;

  /** What readers use: collections resolve to their projection's current generation on every call. */
  readonly live: ReadModelStore;

  private constructor(
    private readonly store: ReadModelStore,
    private readonly onRefreshError: (error: Error) => void,
  ) {
    this.meta = store.collection(META);
    this.live = this.liveStore();
  }

  /** Loads the pointers (so the first read already resolves right) and keeps them fresh. */
  static async open(
    store: ReadModelStore,
    options: { refreshMs?: number; onRefreshError?: (error: Error) => void } = {},
  ): Promise<ReadModelGenerations> {
    const generations = new ReadModelGenerations(store, options.onRefreshError ?? (() => undefined));
    await generations.refresh();
    generations.timer = setInterval(() => {
      generations.refresh().catch(generations.onRefreshError);
    }, options.refreshMs ?? GENERATION_REFRESH_MS);
    generations.timer.unref();
    return generations;
  }

  /** The current generation of a projection, as of the last refresh; 0 for one never rebuilt. */
  generationOf(projection: string): number {
    return this.pointers.projections[projection]?.generation ?? 0;
  }

  at(generation: number): GenerationStore {
    return new GenerationStore(this.store, generation);
  }

  /** Builds a projection over `generation`, and answers which collections it opened there. */
  bind(build: ProjectionFactory, generation: number): { projection: Projection; collections: CollectionDefinition[] } {
    const target = this.at(generation);
    const collections: CollectionDefinition[] = [];
    const recording: ReadModelStore = {
      collection: <T extends ReadModelDocument>(definition: CollectionDefinition) => {
        collections.push(definition);
        return target.collection<T>(definition);
      },
      getCheckpoint: (projection) => target.getCheckpoint(projection),
      saveCheckpoint: (projection, position) => target.saveCheckpoint(projection, position),
      ping: () => target.ping(),
      close: () => target.close(),
    };
    return { projection: build(recording), collections };
  }

  /** Called after a refresh saw a projection move to another generation. */
  onSwitch(listener: (projection: string, generation: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the pointers now; concurrent callers share one read. */
  refresh(): Promise<void> {
    this.refreshing ??= this.readPointers()
      .then((pointers) => this.adopt(pointers))
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Hands out a generation number no one has used, for a rebuild to fill. */
  async reserveGeneration(): Promise<number> {
    const next = await this.update((current) => ({ ...current, lastGeneration: current.lastGeneration + 1 }));
    return next.lastGeneration;
  }

  /**
   * Points every named projection at its new generation in one write, so that readers see all
   * of them switch together; answers where each one was before.
   */
  async switchTo(moves: Record<string, ProjectionGeneration>): Promise<Record<string, ProjectionGeneration>> {
    let before: Record<string, ProjectionGeneration> = {};
    await this.update((current) => {
      before = Object.fromEntries(
        Object.keys(moves).map((name) => [name, current.projections[name] ?? { generation: 0, collections: moves[name].collections }]),
      );
      return { ...current, projections: { ...current.projections, ...moves } };
    });
    return before;
  }

  /**
   * Takes the rebuild lock for `ttlMs`, or throws RebuildLockedError naming its holder. Two
   * takers both write the next sequence number; the store keeps only the first, so only one
   * sees its write succeed.
   */
  async acquireLock(owner: string, ttlMs: number, now: () => number = Date.now): Promise<RebuildLock> {
    const held = (await this.meta.get(LOCK_ID)) as Lock | null;
    if (held?.owner && held.owner !== owner && held.expiresAt > now()) throw new RebuildLockedError(held.owner, held.expiresAt);
    let sequence = held?.sequence ?? 0;
    const write = async (lock: LockHolder) => {
      const next: Lock = { id: LOCK_ID, sequence: sequence + 1, ...lock };
      if (!(await this.meta.putIfNewer(next, versionOf(next.sequence)))) {
        const taker = (await this.meta.get(LOCK_ID)) as Lock | null;
        throw new RebuildLockedError(taker?.owner ?? 'unknown', taker?.expiresAt ?? now());
      }
      sequence = next.sequence;
    };
    await write({ owner, expiresAt: now() + ttlMs });
    return {
      renew: () => write({ owner, expiresAt: now() + ttlMs }),
      release: () => write({ owner: null, expiresAt: 0 }),
    };
  }

  /** Stops refreshing and closes the underlying store. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.store.close();
  }

  private liveStore(): ReadModelStore {
    return {
      collection: <T extends ReadModelDocument>(definition: CollectionDefinition) => this.liveCollection<T>(definition),
      getCheckpoint: (projection) => this.store.getCheckpoint(projection),
      saveCheckpoint: (projection, position) => this.store.saveCheckpoint(projection, position),
      ping: () => this.store.ping(),
      close: () => this.close(),
    };
  }

  /**
   * Forwards every call to the collection of the owning projection's current generation. A
   * proxy rather than a class so that methods added to the port later are forwarded too.
   */
  private liveCollection<T extends ReadModelDocument>(definition: CollectionDefinition): ReadModelCollection<T> {
    let live = this.liveCollections.get(definition.name);
    if (!live) {
      const resolve = () => this.store.collection({ ...definition, name: generationName(definition.name, this.generationOfCollection(definition.name)) });
      // Resolved once now as well as on every call: on SQLite the first resolution makes the
      // collection's table, synchronously, waiting in SQLite's busy handler for another
      // connection's write lock. A collection bound at start is then made before any catch-up
      // holds that lock, instead of at its first use in the middle of one (a stalled thread).
      resolve();
      live = new Proxy({} as ReadModelCollection<ReadModelDocument>, {
        get: (_target, method: keyof ReadModelCollection<ReadModelDocument>) => {
          const collection = resolve();
          const member = collection[method];
          return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(collection) : member;
        },
      });
      this.liveCollections.set(definition.name, live);
    }
    return live as unknown as ReadModelCollection<T>;
  }

  /**
   * Collections no rebuilt projection owns (token_usage, say) stay at generation 0. The owners
   * are those a rebuild recorded: a projection that starts writing a new collection needs a
   * rebuild before readers look for that collection in its generation.
   */
  private generationOfCollection(name: string): number {
    for (const entry of Object.values(this.pointers.projections)) {
      if (entry.collections.includes(name)) return entry.generation;
    }
    return 0;
  }

  private async readPointers(): Promise<Pointers> {
    return ((await this.meta.get(POINTERS_ID)) as Pointers | null) ?? EMPTY;
  }

  /** Pointers only move forward: a slow read never undoes a newer one already seen. */
  private adopt(pointers: Pointers): void {
    if (pointers.revision <= this.pointers.revision) return;
    const before = this.pointers;
    this.pointers = pointers;
    for (const [projection, entry] of Object.entries(pointers.projections)) {
      if ((before.projections[projection]?.generation ?? 0) !== entry.generation) {
        for (const listener of this.listeners) listener(projection, entry.generation);
      }
    }
  }

  /** Read, change, write if no one wrote in between (the revision guards it), else again. */
  private async update(change: (current: Pointers) => Pointers): Promise<Pointers> {
    for (;;) {
      const current = await this.readPointers();
      const next: Pointers = { ...change(current), id: POINTERS_ID, revision: current.revision + 1 };
      if (await this.meta.putIfNewer(next, versionOf(next.revision))) {
        this.adopt(next);
        return next;
      }
    }
  }
}
