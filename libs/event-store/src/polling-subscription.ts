import { setImmediate } from 'node:timers/promises';
import { GlobalPosition, RecordedEvent, SubscribeToAllOptions, Subscription } from './event-store.port';

type PollingSubscriptionOptions = SubscribeToAllOptions & {
  readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]>;
  /**
   * Calls the listener after every append to the log, this process's or another's (the store
   * notices those itself); returns the unsubscribe function.
   */
  onAppend(listener: () => void): () => void;
  batchSize?: number;
};

/**
 * Catch-up and live delivery are one loop: read a batch after the last delivered position,
 * hand it over one event at a time, and when the log is exhausted wait for the next append. An
 * append made while the handler was busy counts too: the loop reads again at once instead of
 * waiting for one more. A handler that throws ends the subscription through `onError`: retrying
 * is the subscriber's decision, since only it knows whether the failure is transient.
 */
export const pollingSubscription = (options: PollingSubscriptionOptions): Subscription => {
  const batchSize = options.batchSize ?? 500;
  let closed = false;
  let appendedSinceRead = false;
  let wake: (() => void) | null = null;
  const unsubscribe = options.onAppend(() => {
    appendedSinceRead = true;
    wake?.();
  });

  const waitForAppend = () =>
    new Promise<void>((resolve) => {
      wake = () => {
        wake = null;
        resolve();
      };
    });

  const loop = async () => {
    let after = options.after;
    while (!closed) {
      appendedSinceRead = false;
      const batch = await options.readAll(after, batchSize);
      for (const event of batch) {
        if (closed) return;
        await options.onEvent(event);
        after = event.globalPosition;
      }
      if (batch.length < batchSize && !appendedSinceRead && !closed) await waitForAppend();
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
