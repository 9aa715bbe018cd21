import { setImmediate } from 'node:timers/promises';
import { EventStore, GlobalPosition, RecordedEvent, Subscription } from '@keyhold/event-store';
import { ThreadDutyCycle } from './thread-duty-cycle';

/** Events held before the subscription waits for the page being handled: bounds memory when the handler is slower than the log. */
const MAX_PAGE = 500;

export type PagedSubscriptionOptions = {
  /** Deliver events strictly after this position; `null` delivers from the start of the log. */
  readonly after: GlobalPosition | null;
  /** Handles a page of events, in log order; the next page is handed over once this one settles. */
  readonly onPage: (events: readonly RecordedEvent[]) => Promise<void>;
  /** The subscription stopped for good: the log's subscription failed, or `onPage` threw. */
  readonly onError: (error: Error) => void;
  /**
   * Holds the subscriber to a share of its thread's time while it is behind (its pages full): a background
   * subscriber catching up must leave the serving thread to requests. At the head, pages come
   * as the log grows and are handled at once.
   */
  readonly catchUp?: ThreadDutyCycle;
};

/**
 * The log's subscription a page at a time, for a subscriber whose cost is per call rather than
 * per event (a store's transaction, a Kafka send). A page is what arrived in one turn of the
 * event loop (a group commit of the log shows up as one page), at most MAX_PAGE events.
 *
 * As on `subscribeToAll`, a handler that throws ends the subscription: the events after the
 * failed page are dropped, and `onError` is called once the subscription has closed, so that the
 * subscriber resumes from the last page it handled with no other page still on its way. Closing
 * waits for the pages already received to be handled.
 */
export const subscribeToAllInPages = (log: EventStore, { after, onPage, onError, catchUp }: PagedSubscriptionOptions): Subscription => {
  let page: RecordedEvent[] = [];
  let handling: Promise<void> = Promise.resolve();
  let failed = false;

  const handlePage = async () => {
    const events = page;
    page = [];
    if (failed || events.length === 0) return;
    const behind = events.length >= MAX_PAGE;
    if (behind) catchUp?.begin();
    try {
      await onPage(events);
    } catch (error) {
      failed = true;
      catchUp?.idle();
      // Not awaited: closing waits for the page being handled, which is this one.
      void subscription.close().then(() => onError(error instanceof Error ? error : new Error(String(error))));
      return;
    }
    // The log's subscription waits for this page before reading on, so a rest holds the reading too.
    if (behind) await catchUp?.rest();
    else catchUp?.idle();
  };

  const subscription = log.subscribeToAll({
    after,
    onEvent: (event) => {
      if (failed) return undefined;
      page.push(event);
      // The first event of a page waits for the turn to end, so that the rest of what arrived joins it.
      if (page.length === 1) handling = handling.then(() => setImmediate()).then(handlePage);
      return page.length >= MAX_PAGE ? handling : undefined;
    },
    onError: (error) => void handling.then(() => onError(error)),
  });

  return {
    async close() {
      await subscription.close();
      await handling;
    },
  };
};
