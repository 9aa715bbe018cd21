import { EventStore } from '../event-store.port';
import { BrokenLink, ChainVerifier } from './event-chain';

export type EventLogVerification = {
  readonly events: number;
  readonly streams: number;
  /** Events written before chaining: not broken, but only as safe as the first chained link after them. */
  readonly unchained: number;
  readonly ok: boolean;
  readonly firstBrokenLink: BrokenLink | null;
};

export type VerifyEventLogOptions = {
  /** Check this stream only (the log is still read in full: streams interleave in it). */
  readonly stream?: string;
  readonly pageSize?: number;
  /** Called after each page with the number of events checked so far. */
  readonly onProgress?: (eventsChecked: number) => void;
};

/** Reads the whole log as stored, page by page, and stops at the first broken link. */
export const verifyEventLog = async (store: EventStore, options: VerifyEventLogOptions = {}): Promise<EventLogVerification> => {
  const verifier = new ChainVerifier();
  const result = (firstBrokenLink: BrokenLink | null): EventLogVerification => ({
    events: verifier.events,
    streams: verifier.streams,
    unchained: verifier.unchained,
    ok: firstBrokenLink === null,
    firstBrokenLink,
  });
  let after: string | null = null;
  for (;;) {
    const page = await store.readAllAsStored(after, options.pageSize ?? 1000);
    if (page.length === 0) return result(null);
    for (const event of page) {
      if (options.stream !== undefined && event.streamName !== options.stream) continue;
      const broken = verifier.check(event);
      if (broken) return result(broken);
    }
    after = page[page.length - 1].globalPosition;
    options.onProgress?.(verifier.events);
  }
};
