import { setImmediate } from 'node:timers/promises';
import { GlobalPosition, RecordedEvent, SubscribeToAllOptions, Subscription } from './event-store.port';

type PollingSubscriptionOptions = SubscribeToAllOptions & {
  readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]>;
  /** Wakes the loop at once after an append in this process; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void;
  /** Appends by other processes sharing the store are seen within this interval. */
  pollIntervalMs: number;
  batchSize?: number;
};

/**
 * Catch-up and live delivery are one loop: read a batch after the last delivered position,
 * hand it over one event at a time, and when the log is exhausted wait for an append or the
 * poll interval. A handler that throws ends the subscription through `onError`: retrying is
 * the subscriber's decision, since only it knows whether the failure is transient.
 */
export const pollingSubscription = (options: PollingSubscriptionOptions): Subscription => {
  const batchSize = options.batchSize ?? 500;
  let closed = false;
  let wake: (() => void) | null = null;
  const unsubscribe = options.onAppend(() => wake?.());

  const waitForAppend = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const loop = async () => {
    let after = options.after;
    while (!closed) {
      const batch = await options.readAll(after, batchSize);
      for (const event of batch) {
        if (closed) return;
        await options.onEvent(event);
        after = event.globalPosition;
      }
      if (batch.length < batchSize && !closed) await waitForAppend();
      // A synchronous store (SQLite) resolves every await above at once: let I/O in between batches.
      else await setImmediate();
    }
  };

  const running = loop()
    .catch((error: unknown) => {
      if (!closed) options.onError?.(error instanceof Error ? error : new Error(String(error)));
    })
    .finally(unsubscribe);

  return {
    async close() {
      closed = true;
      wake?.();
      await running;
    },
  };
};
