import { BeforeApplicationShutdown, Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { setImmediate } from 'node:timers/promises';
import { Logger } from 'pino';
import { ROOT_LOGGER } from '@keyhold/platform';
import { READ_MODEL_STORE, ReadModelCollection, ReadModelStore, TOKEN_USAGE, TokenUsageView } from '@keyhold/read-models';

/**
 * A token in steady use is written once per flush, so the interval bounds its writes: at 5 s an
 * API node under introspection load wrote a quarter of its requests' tokens again every 5 s, and
 * with read models in MongoDB the server's work on those writes cost it as much CPU per request
 * as the node's own (measured with the stand-in: 135-188 µs per introspection). A minute makes
 * that a twelfth; this node's readers see its pending uses at once (`lastUsedAt`), other nodes
 * within the minute, and a crash loses at most a minute of last-use times, which no one was
 * promised.
 */
const FLUSH_EVERY_MS = 60_000;
/** Pending uses that start a flush before the interval ends: what bounds the recorder's memory when many distinct tokens are used. */
export const PENDING_AT_MOST = 50_000;
/**
 * Writes per write to the store (one transaction on SQLite: a commit per token was most of the
 * recorder's cost under introspection load), and between two turns of the event loop. A flush
 * holds every token used in the last interval (thousands under load), and the embedded store
 * writes synchronously: in one go it would stall the requests it records for tens of milliseconds.
 */
const WRITES_PER_TURN = 100;

/**
 * Remembers when each token was last used and writes it to the read model in batches: an
 * event per use would flood the log (and its auditors) with the hottest path's traffic. The
 * write is guarded by the timestamp itself, so nodes flushing out of order never move it back.
 */
@Injectable()
export class UsageRecorder implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private pending = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Whether a flush started by PENDING_AT_MOST is still to take the pending uses. */
  private earlyFlushQueued = false;
  private readonly usage: ReadModelCollection<TokenUsageView>;

  constructor(
    @Inject(READ_MODEL_STORE) readModels: ReadModelStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    // Bound at start, before the read models' catch-up takes the write lock: on SQLite a
    // collection whose table does not exist yet is made synchronously, waiting in SQLite's busy
    // handler for the lock. Bound at the first flush, a minute after a start with the read models
    // dropped, it waited for a catch-up thread's write: a 140-480 ms stall of every request at 1M.
    this.usage = readModels.collection<TokenUsageView>(TOKEN_USAGE);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  record(tokenId: string, at: string): void {
    this.pending.set(tokenId, at);
    if (this.pending.size >= PENDING_AT_MOST && !this.earlyFlushQueued) {
      this.earlyFlushQueued = true;
      void this.flush();
    }
  }

  /**
   * One flush at a time: against a slow store, interval ticks would otherwise start flush after
   * flush concurrently. A call during a flush runs after it, with whatever is pending by then.
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    this.earlyFlushQueued = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const entries = [...batch].map(([tokenId, lastUsedAt]) => ({ doc: { id: tokenId, lastUsedAt }, version: lastUsedAt }));
    try {
      for (let start = 0; start < entries.length; start += WRITES_PER_TURN) {
        if (start > 0) await setImmediate();
        await this.usage.putAllIfNewer(entries.slice(start, start + WRITES_PER_TURN));
      }
    } catch (error) {
      // Keep what did not make it for the next flush, unless a newer use replaced it meanwhile.
      for (const [tokenId, at] of batch) if (!this.pending.has(tokenId)) this.pending.set(tokenId, at);
      this.logger.warn({ err: error }, 'Could not record token usage; will retry');
    }
  }

  async lastUsedAt(tokenIds: string[]): Promise<Map<string, string>> {
    const found = await Promise.all(tokenIds.map((id) => this.usage.get(id)));
    const result = new Map(found.filter((doc): doc is TokenUsageView => doc !== null).map((doc) => [doc.id, doc.lastUsedAt]));
    for (const id of tokenIds) {
      const recent = this.pending.get(id);
      if (recent && (!result.has(id) || recent > result.get(id)!)) result.set(id, recent);
    }
    return result;
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
