import { createHash } from 'node:crypto';
import { EventIntegrity, EventMetadata } from '@keyhold/domain';
import { EventToAppend, RecordedEvent } from '../event-store.port';
import { canonicalJson } from './canonical-json';

/**
 * Tamper evidence for the event log: every event's metadata carries the SHA-256 of its own
 * content and of the previous event's hash in its stream, so that changing, removing or
 * reordering a stored event breaks the chain at that event (or, if its hash was recomputed
 * too, at the next one). Both adapters chain on append with this module, and `verifyEventLog`
 * checks with it.
 *
 * The chain is per stream, not log-wide. A log-wide link needs the previous event of the whole
 * log at append time: SQLite could give it (it serialises writers), but EventStoreDB cannot
 * (appends to different streams are not ordered until the server commits them, and offers no
 * expected position on $all), so a log-wide chain would hold on one adapter only, or would need
 * every writer behind one global lock. Per-stream chains need nothing beyond the optimistic
 * concurrency appends already use. What they cannot show alone is a stream rewritten from some
 * event to its end with fresh hashes: that takes the heads kept elsewhere (Kafka consumers,
 * backups, a verify report of an earlier day) to compare with.
 */

/** An event as stored, which is what is hashed: upcasting on read never touches the hash. */
export type StoredEvent = Pick<RecordedEvent, 'streamName' | 'streamRevision' | 'type' | 'data' | 'metadata'>;

const withoutIntegrity = ({ integrity: _integrity, ...metadata }: EventMetadata): Omit<EventMetadata, 'integrity'> => metadata;

/** The SHA-256 (hex) of stream name, revision, type, data, metadata without integrity, and the link. */
export const eventHash = (event: StoredEvent, previousHash: string | null): string =>
  createHash('sha256')
    .update(
      canonicalJson({
        streamName: event.streamName,
        streamRevision: event.streamRevision,
        type: event.type,
        data: event.data,
        metadata: withoutIntegrity(event.metadata),
        previousHash,
      }),
    )
    .digest('hex');

/**
 * The hash the next event links to, given the one before `event`. An event written before
 * chaining has no stored hash, so its hash is computed here as if it had been chained: the first
 * chained event of an old stream then links to all of the stream's history, and editing an old
 * event later breaks that link, where starting over from null would leave history unprotected.
 */
const linkHash = (event: StoredEvent, previousHash: string | null): string =>
  event.metadata.integrity?.hash ?? eventHash(event, previousHash);

/** The hash the next event of a stream links to, from all its events as stored; null for none. */
export const streamHeadHash = (events: readonly StoredEvent[]): string | null =>
  events.reduce<string | null>((previous, event) => linkHash(event, previous), null);

/** JSON as it will read back: what is hashed must be exactly what verify reads later. */
const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * `events` ready to store after `previousHash` at `firstRevision` on: data and metadata in their
 * stored JSON form, each with its integrity field (any given by the caller is replaced).
 */
export const chainEvents = (
  streamName: string,
  firstRevision: number,
  previousHash: string | null,
  events: readonly EventToAppend[],
): EventToAppend[] => {
  let link = previousHash;
  return events.map((event, index) => {
    const stored = { type: event.type, data: asStored(event.data), metadata: withoutIntegrity(asStored(event.metadata)) };
    const integrity: EventIntegrity = {
      previousHash: link,
      hash: eventHash({ streamName, streamRevision: firstRevision + index, ...stored }, link),
    };
    link = integrity.hash;
    return { ...stored, metadata: { ...stored.metadata, integrity } };
  });
};

export type BrokenLink = {
  readonly streamName: string;
  readonly streamRevision: number;
  readonly eventId: string;
  readonly globalPosition: string;
  readonly expected: string | number | null;
  readonly found: string | number | null;
  readonly problem:
    | 'revision out of sequence (an event is missing or moved)'
    | 'unchained event after chained ones'
    | 'previousHash does not match the previous event'
    | 'hash does not match the stored content';
};

/**
 * Checks events in log order, keeping only the last revision and hash of each stream, so that
 * memory grows with the number of streams, not of events.
 */
export class ChainVerifier {
  private readonly heads = new Map<string, { revision: number; hash: string; chained: boolean }>();
  events = 0;
  /** Events written before chaining: counted, not broken, and covered by the first chained link. */
  unchained = 0;

  get streams(): number {
    return this.heads.size;
  }

  check(event: RecordedEvent): BrokenLink | null {
    this.events += 1;
    const head = this.heads.get(event.streamName);
    const broken = (problem: BrokenLink['problem'], expected: BrokenLink['expected'], found: BrokenLink['found']): BrokenLink => ({
      streamName: event.streamName,
      streamRevision: event.streamRevision,
      eventId: event.metadata.eventId,
      globalPosition: event.globalPosition,
      expected,
      found,
      problem,
    });

    const expectedRevision = head ? head.revision + 1 : 0;
    if (event.streamRevision !== expectedRevision) {
      return broken('revision out of sequence (an event is missing or moved)', expectedRevision, event.streamRevision);
    }
    const previousHash = head?.hash ?? null;
    const integrity = event.metadata.integrity;
    if (!integrity) {
      if (head?.chained) return broken('unchained event after chained ones', 'an integrity field', null);
      this.unchained += 1;
      this.heads.set(event.streamName, { revision: event.streamRevision, hash: eventHash(event, previousHash), chained: false });
      return null;
    }
    if (integrity.previousHash !== previousHash) {
      return broken('previousHash does not match the previous event', previousHash, integrity.previousHash);
    }
    const hash = eventHash(event, previousHash);
    if (integrity.hash !== hash) return broken('hash does not match the stored content', hash, integrity.hash);
    this.heads.set(event.streamName, { revision: event.streamRevision, hash, chained: true });
    return null;
  }
}
