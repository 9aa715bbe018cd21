import { EventMetadata } from '@keyhold/domain';
import { RecordedEvent } from '../event-store.port';
import { canonicalJson } from './canonical-json';
import { chainEvents, ChainVerifier, eventHash, streamHeadHash } from './event-chain';

describe('canonicalJson', () => {
  it('sorts keys at every depth and adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: true, x: null }], c: 'é' } })).toBe('{"a":{"c":"é","d":[3,{"x":null,"y":true}]},"b":1}');
  });

  it('orders keys by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ '\u00e9': 1, z: 2, Z: 3, '\ud83d\ude00': 4, '\uff61': 5 })).toBe('{"Z":3,"z":2,"é":1,"😀":4,"｡":5}');
  });

  it('writes numbers and escapes as JSON.stringify does', () => {
    expect(canonicalJson([1e21, 0.1, -0, 'a"\n\u2028'])).toBe('[1e+21,0.1,0,"a\\"\\n\u2028"]');
  });

  it('refuses what JSON would drop or change instead of hashing it differently', () => {
    expect(() => canonicalJson({ a: undefined })).toThrow(TypeError);
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(new Date(0))).toThrow(TypeError);
  });
});

const metadata = (eventId: string, extra: Partial<EventMetadata> = {}): EventMetadata => ({
  eventId,
  tenantId: 'tenant-1',
  actorId: 'user-1',
  correlationId: 'c-1',
  causationId: 'c-1',
  occurredAt: '2025-03-01T09:00:00.000Z',
  schemaVersion: 1,
  ...extra,
});

/** Events of one stream as an adapter would store them (chained) after `previousHash`. */
const stored = (streamName: string, firstRevision: number, previousHash: string | null, count: number, position = 1): RecordedEvent[] =>
  chainEvents(
    streamName,
    firstRevision,
    previousHash,
    Array.from({ length: count }, (_, n) => ({ type: 'Happened', data: { n }, metadata: metadata(`${streamName}-e${firstRevision + n}`) })),
  ).map((event, n) => ({ ...event, streamName, streamRevision: firstRevision + n, globalPosition: String(position + n).padStart(20, '0') }));

/** Events as written before chaining: no integrity field. */
const legacy = (streamName: string, count: number): RecordedEvent[] =>
  Array.from({ length: count }, (_, n) => ({
    streamName,
    streamRevision: n,
    globalPosition: String(n + 1).padStart(20, '0'),
    type: 'Happened',
    data: { n },
    metadata: metadata(`${streamName}-legacy${n}`),
  }));

const checkAll = (verifier: ChainVerifier, events: readonly RecordedEvent[]) => events.map((event) => verifier.check(event));

describe('eventHash', () => {
  const [event] = stored('s-1', 0, null, 1);

  it('changes with every hashed part, and not with the integrity field itself', () => {
    const hash = eventHash(event, null);
    expect(eventHash({ ...event, metadata: { ...event.metadata, integrity: { previousHash: 'x', hash: 'y' } } }, null)).toBe(hash);
    for (const changed of [
      { ...event, streamName: 's-2' },
      { ...event, streamRevision: 1 },
      { ...event, type: 'Other' },
      { ...event, data: { n: 1 } },
      { ...event, metadata: { ...event.metadata, actorId: 'user-2' } },
    ]) {
      expect(eventHash(changed, null)).not.toBe(hash);
    }
    expect(eventHash(event, 'a'.repeat(64))).not.toBe(hash);
  });

  it('does not depend on key order', () => {
    const reordered = { ...event, data: { n: 0 }, metadata: Object.fromEntries(Object.entries(event.metadata).reverse()) as EventMetadata };
    expect(eventHash(reordered, null)).toBe(eventHash(event, null));
  });
});

describe('chainEvents', () => {
  it('stores data and metadata in their JSON form, so that what is hashed is what reads back', () => {
    const [chained] = chainEvents('s-1', 0, null, [
      { type: 'T', data: { at: new Date(0), skipped: undefined }, metadata: { ...metadata('e-1'), reason: undefined } },
    ]);
    expect(chained.data).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    expect(Object.keys(chained.metadata)).not.toContain('reason');
    const readBack = { streamName: 's-1', streamRevision: 0, ...JSON.parse(JSON.stringify(chained)) };
    expect(chained.metadata.integrity?.hash).toBe(eventHash(readBack, null));
  });
});

describe('ChainVerifier', () => {
  it('accepts intact interleaved streams and counts them', () => {
    const a = stored('a', 0, null, 3);
    const b = stored('b', 0, null, 2);
    const verifier = new ChainVerifier();
    expect(checkAll(verifier, [a[0], b[0], a[1], b[1], a[2]])).toEqual([null, null, null, null, null]);
    expect([verifier.events, verifier.streams, verifier.unchained]).toEqual([5, 2, 0]);
  });

  it('names an event whose content changed', () => {
    const events = stored('a', 0, null, 3);
    const tampered = { ...events[1], data: { n: 99 } };
    const verifier = new ChainVerifier();
    expect(verifier.check(events[0])).toBeNull();
    expect(verifier.check(tampered)).toEqual({
      streamName: 'a',
      streamRevision: 1,
      eventId: 'a-e1',
      globalPosition: events[1].globalPosition,
      expected: eventHash(tampered, events[0].metadata.integrity!.hash),
      found: events[1].metadata.integrity!.hash,
      problem: 'hash does not match the stored content',
    });
  });

  it('names the next event when one was rewritten with a fresh hash', () => {
    const events = stored('a', 0, null, 3);
    const [rewritten] = chainEvents('a', 1, events[0].metadata.integrity!.hash, [{ type: 'Happened', data: { n: 99 }, metadata: events[1].metadata }]);
    const verifier = new ChainVerifier();
    const results = checkAll(verifier, [events[0], { ...events[1], ...rewritten }, events[2]]);
    expect(results.slice(0, 2)).toEqual([null, null]);
    expect(results[2]).toMatchObject({ streamRevision: 2, problem: 'previousHash does not match the previous event', expected: rewritten.metadata.integrity!.hash });
  });

  it('names the event after a removed one', () => {
    const events = stored('a', 0, null, 3);
    const verifier = new ChainVerifier();
    expect(verifier.check(events[0])).toBeNull();
    expect(verifier.check(events[2])).toMatchObject({ streamRevision: 2, problem: 'revision out of sequence (an event is missing or moved)', expected: 1, found: 2 });
  });

  it('counts events from before chaining as unchained, and checks the first chained link against their computed hashes', () => {
    const old = legacy('a', 2);
    const head = streamHeadHash(old);
    expect(head).toBe(eventHash(old[1], eventHash(old[0], null)));
    const next = stored('a', 2, head, 2, 3);
    const verifier = new ChainVerifier();
    expect(checkAll(verifier, [...old, ...next])).toEqual([null, null, null, null]);
    expect([verifier.events, verifier.unchained]).toEqual([4, 2]);

    const editedHistory = new ChainVerifier();
    const results = checkAll(editedHistory, [old[0], { ...old[1], data: { n: 'edited' } }, ...next]);
    expect(results[2]).toMatchObject({ streamRevision: 2, problem: 'previousHash does not match the previous event', found: head });
  });

  it('treats an unchained event after chained ones as broken', () => {
    const events = stored('a', 0, null, 1);
    const stripped = { ...legacy('a', 2)[1] };
    const verifier = new ChainVerifier();
    expect(verifier.check(events[0])).toBeNull();
    expect(verifier.check(stripped)).toMatchObject({ streamRevision: 1, problem: 'unchained event after chained ones' });
  });
});
