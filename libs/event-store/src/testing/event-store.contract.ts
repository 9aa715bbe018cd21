import { randomUUID } from 'node:crypto';
import { EventMetadata } from '@keyhold/domain';
import { AppendResult, EventStore, EventToAppend, GlobalPosition, RecordedEvent, WrongExpectedRevisionError } from '../event-store.port';
import { ChainVerifier, eventHash } from '../chain/event-chain';

/**
 * The behaviour every event store adapter must show. Each adapter's test file calls this with a
 * factory for a store over an empty or shared log, every call a new store over the same log (as
 * a second process would open it); tests use fresh stream names so that a shared server works too.
 */
export const describeEventStoreContract = (adapterName: string, open: () => Promise<EventStore>) => {
  describe(`EventStore contract: ${adapterName}`, () => {
    let store: EventStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    const stream = () => `contractTest-${randomUUID()}`;
    const event = (type: string, data: Record<string, unknown> = {}): EventToAppend => ({
      type,
      data,
      metadata: metadata(),
    });

    it('appends to a new stream with no_stream and reads the events back in order', async () => {
      const name = stream();
      const result = await store.append(name, [event('A', { n: 1 }), event('B', { n: 2 })], 'no_stream');
      expect(result.nextExpectedRevision).toBe(1);
      const events = await store.readStream(name);
      expect(events.map((e) => [e.type, e.data, e.streamRevision])).toEqual([
        ['A', { n: 1 }, 0],
        ['B', { n: 2 }, 1],
      ]);
      expect(events[1].globalPosition).toBe(result.lastPosition);
    });

    it('keeps metadata intact, adding only its integrity link', async () => {
      const name = stream();
      const appended = event('A');
      await store.append(name, [appended], 'no_stream');
      const [read] = await store.readStream(name);
      const { integrity, ...rest } = read.metadata;
      expect(rest).toEqual(appended.metadata);
      expect(integrity).toEqual({ previousHash: null, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });

    describe('hash chain', () => {
      const storedEventsOf = async (after: GlobalPosition | null, ...names: string[]) =>
        (await readAllAfter(store, after, 'as stored')).filter((e) => names.includes(e.streamName));

      it('links each event to the previous one of its stream, across appends, over the stored content', async () => {
        const before = await store.headPosition();
        const name = stream();
        await store.append(name, [event('A', { n: 1 }), event('B', { n: 2 })], 'no_stream');
        await store.append(name, [event('C', { nested: { z: 1, a: [1, 'x', null] } })], 1);
        const events = await storedEventsOf(before, name);
        expect(events.map((e) => e.metadata.integrity?.previousHash)).toEqual([
          null,
          events[0].metadata.integrity?.hash,
          events[1].metadata.integrity?.hash,
        ]);
        for (const e of events) expect(e.metadata.integrity?.hash).toBe(eventHash(e, e.metadata.integrity!.previousHash));
        expect(new Set(events.map((e) => e.metadata.integrity?.hash)).size).toBe(3);
      });

      it('replaces an integrity field the caller made up', async () => {
        const name = stream();
        const forged = { ...event('A'), metadata: { ...metadata(), integrity: { previousHash: 'f'.repeat(64), hash: '0'.repeat(64) } } };
        await store.append(name, [forged], 'no_stream');
        const [read] = await store.readStream(name);
        expect(read.metadata.integrity?.previousHash).toBeNull();
        expect(read.metadata.integrity?.hash).not.toBe('0'.repeat(64));
      });

      it('chains appends with any and stream_exists, also when they race', async () => {
        const before = await store.headPosition();
        const name = stream();
        await store.append(name, [event('A')], 'any');
        const results = await Promise.allSettled([
          store.append(name, [event('B1')], 'any'),
          store.append(name, [event('B2')], 'stream_exists'),
          store.append(name, [event('B3')], 'any'),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
        const verifier = new ChainVerifier();
        const events = await storedEventsOf(before, name);
        expect(events.map((e) => verifier.check(e))).toEqual([null, null, null, null]);
        expect(verifier.unchained).toBe(0);
      });

      it('verifies interleaved streams, and names a link whose content changed', async () => {
        const before = await store.headPosition();
        const first = stream();
        const second = stream();
        await store.append(first, [event('A')], 'no_stream');
        await store.append(second, [event('B')], 'no_stream');
        await store.append(first, [event('C')], 0);
        const events = await storedEventsOf(before, first, second);
        const intact = new ChainVerifier();
        expect(events.map((e) => intact.check(e))).toEqual([null, null, null]);
        expect(intact.streams).toBe(2);

        const tampered = new ChainVerifier();
        const altered = { ...events[2], data: { n: 'changed' } };
        expect([events[0], events[1]].map((e) => tampered.check(e))).toEqual([null, null]);
        expect(tampered.check(altered)).toMatchObject({
          streamName: first,
          streamRevision: 1,
          problem: 'hash does not match the stored content',
          found: events[2].metadata.integrity?.hash,
        });
      });
    });

    it('reads old schema versions upcast, and as stored only through readAllAsStored', async () => {
      const before = await store.headPosition();
      const name = stream();
      const v1Data = { tokenId: 't-1', label: 'old', idempotencyKey: 'key-0001', requestFingerprint: 'fp' };
      await store.append(name, [{ type: 'TokenIssued', data: v1Data, metadata: { ...metadata(), schemaVersion: 1 } }], 'no_stream');
      const upcast = { tokenId: 't-1', label: 'old', idempotency: { key: 'key-0001', requestFingerprint: 'fp' } };

      const [fromStream] = await store.readStream(name);
      expect(fromStream.data).toEqual(upcast);
      expect(fromStream.metadata.schemaVersion).toBe(2);
      expect((await readAllAfter(store, before)).find((e) => e.streamName === name)?.data).toEqual(upcast);
      const [stored] = (await readAllAfter(store, before, 'as stored')).filter((e) => e.streamName === name);
      expect(stored.data).toEqual(v1Data);
      expect(stored.metadata.schemaVersion).toBe(1);

      const delivered = await new Promise<RecordedEvent>((resolve) => {
        const subscription = store.subscribeToAll({
          after: before,
          onEvent: (e) => {
            if (e.streamName !== name) return;
            void subscription.close();
            resolve(e);
          },
        });
      });
      expect(delivered.data).toEqual(upcast);
    });

    it('reads only the events after a given revision, those another store on the same log appended too', async () => {
      const name = stream();
      await store.append(name, [event('A'), event('B')], 'no_stream');
      const other = await open();
      try {
        await other.append(name, [event('C')], 1);
        expect((await store.readStream(name, 0)).map((e) => [e.type, e.streamRevision])).toEqual([
          ['B', 1],
          ['C', 2],
        ]);
        expect(await store.readStream(name, 2)).toEqual([]);
        expect(await store.readStream(stream(), 0)).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it('answers an empty array for a stream that does not exist', async () => {
      expect(await store.readStream(stream())).toEqual([]);
    });

    it('refuses no_stream when the stream exists', async () => {
      const name = stream();
      await store.append(name, [event('A')], 'no_stream');
      await expect(store.append(name, [event('B')], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(name)).toHaveLength(1);
    });

    it('appends at the exact revision and refuses a stale one', async () => {
      const name = stream();
      await store.append(name, [event('A')], 'no_stream');
      await store.append(name, [event('B')], 0);
      const stale = store.append(name, [event('C')], 0);
      await expect(stale).rejects.toMatchObject({ streamName: name, actual: 1 });
      expect((await store.readStream(name)).map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('refuses an exact revision on a stream that does not exist', async () => {
      await expect(store.append(stream(), [event('A')], 0)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    });

    it('honours stream_exists and any', async () => {
      const name = stream();
      await expect(store.append(name, [event('A')], 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await store.append(name, [event('A')], 'any');
      await store.append(name, [event('B')], 'stream_exists');
      expect(await store.readStream(name)).toHaveLength(2);
    });

    it('lets exactly one of two concurrent writers at the same revision win', async () => {
      const name = stream();
      await store.append(name, [event('A')], 'no_stream');
      const results = await Promise.allSettled([
        store.append(name, [event('B1')], 0),
        store.append(name, [event('B2')], 0),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(name)).toHaveLength(2);
    });

    describe('appends made together (one batch where the adapter groups commits)', () => {
      it('lets exactly one of two creations of the same stream win, and every other append of the batch commit', async () => {
        const contested = stream();
        const others = [stream(), stream(), stream()];
        const results = await Promise.allSettled([
          store.append(others[0], [event('O0')], 'no_stream'),
          store.append(contested, [event('First'), event('FirstMore')], 'no_stream'),
          store.append(others[1], [event('O1')], 'no_stream'),
          store.append(contested, [event('Second')], 'no_stream'),
          store.append(others[2], [event('O2')], 'any'),
        ]);
        const contestedResults = [results[1], results[3]];
        expect(contestedResults.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = contestedResults.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(lost?.reason).toBeInstanceOf(WrongExpectedRevisionError);
        expect([results[0], results[2], results[4]].map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
        const won = (await store.readStream(contested)).map((e) => e.type);
        expect([['First', 'FirstMore'], ['Second']]).toContainEqual(won);
        for (const [n, name] of others.entries()) expect((await store.readStream(name)).map((e) => e.type)).toEqual([`O${n}`]);
      });

      it('fails a stale append alone: the others commit, at distinct positions, and the stale one leaves nothing', async () => {
        const before = await store.headPosition();
        const stale = stream();
        const fresh = [stream(), stream()];
        await store.append(stale, [event('A'), event('B')], 'no_stream');
        const results = await Promise.allSettled([
          store.append(fresh[0], [event('F0')], 'no_stream'),
          store.append(stale, [event('Late')], 0),
          store.append(fresh[1], [event('F1'), event('F1b')], 'no_stream'),
          store.append(stale, [event('OnTime')], 1),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ streamName: stale, expected: 0 });
        expect((await store.readStream(stale)).map((e) => e.type)).toEqual(['A', 'B', 'OnTime']);
        const positions = results
          .filter((r): r is PromiseFulfilledResult<AppendResult> => r.status === 'fulfilled')
          .map((r) => r.value.lastPosition);
        expect(new Set(positions).size).toBe(3);
        const ours = (await readAllAfter(store, before)).filter((e) => [stale, ...fresh].includes(e.streamName));
        expect(ours.map((e) => e.type).sort()).toEqual(['A', 'B', 'F0', 'F1', 'F1b', 'OnTime']);
        for (const position of positions) expect(ours.map((e) => e.globalPosition)).toContain(position);
      });
    });

    it('reads all events after a position in global order, with increasing positions', async () => {
      const before = await store.headPosition();
      const first = stream();
      const second = stream();
      await store.append(first, [event('A')], 'no_stream');
      await store.append(second, [event('B')], 'no_stream');
      await store.append(first, [event('C')], 0);
      const read = await readAllAfter(store, before);
      const ours = read.filter((e) => e.streamName === first || e.streamName === second);
      expect(ours.map((e) => e.type)).toEqual(['A', 'B', 'C']);
      const positions = read.map((e) => e.globalPosition);
      expect([...positions].sort()).toEqual(positions);
      expect(new Set(positions).size).toBe(positions.length);
      expect(await store.headPosition()).toBe(positions[positions.length - 1]);
    });

    it('counts the events after a position as readAll would read them, up to a bound', async () => {
      const before = await store.headPosition();
      await store.append(stream(), [event('A'), event('B'), event('C')], 'no_stream');
      expect(await store.countAfter(before, 10)).toBe(3);
      expect(await store.countAfter(before, 2)).toBe(2);
      expect(await store.countAfter(await store.headPosition(), 10)).toBe(0);
      expect(await store.countAfter(null, 1)).toBe(1);
    });

    it('pages through readAll without gaps or repeats', async () => {
      const before = await store.headPosition();
      const name = stream();
      await store.append(name, Array.from({ length: 7 }, (_, n) => event('Paged', { n })), 'no_stream');
      const seen: RecordedEvent[] = [];
      let after = before;
      for (;;) {
        const page = await store.readAll(after, 3);
        if (page.length === 0) break;
        seen.push(...page);
        after = page[page.length - 1].globalPosition;
      }
      expect(seen.filter((e) => e.streamName === name).map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    });

    it('subscribes from a position: catches up, then delivers live appends in order', async () => {
      const name = stream();
      const start = await store.headPosition();
      await store.append(name, [event('Old')], 'no_stream');
      const received: string[] = [];
      let resolveDone: () => void;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      const subscription = store.subscribeToAll({
        after: start,
        onEvent: (e) => {
          if (e.streamName !== name) return;
          received.push(e.type);
          if (received.length === 3) resolveDone();
        },
      });
      await store.append(name, [event('Live1')], 0);
      await store.append(name, [event('Live2')], 1);
      await done;
      await subscription.close();
      expect(received).toEqual(['Old', 'Live1', 'Live2']);
    });

    it('delivers an append made while its handler was busy with the event before', async () => {
      const name = stream();
      const start = await store.headPosition();
      let release: () => void = () => undefined;
      const busy = new Promise<void>((resolve) => (release = resolve));
      let started: () => void = () => undefined;
      const handling = new Promise<void>((resolve) => (started = resolve));
      const received: string[] = [];
      let resolveDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      const subscription = store.subscribeToAll({
        after: start,
        onEvent: async (e) => {
          if (e.streamName !== name) return;
          received.push(e.type);
          if (e.type === 'First') {
            started();
            await busy;
          } else resolveDone();
        },
      });
      await store.append(name, [event('First')], 'no_stream');
      await handling;
      await store.append(name, [event('Second')], 0);
      release();
      await done;
      await subscription.close();
      expect(received).toEqual(['First', 'Second']);
    });

    it('delivers live what another store on the same log appends', async () => {
      const name = stream();
      const start = await store.headPosition();
      const other = await open();
      let resolveDone: (type: string) => void = () => undefined;
      const done = new Promise<string>((resolve) => (resolveDone = resolve));
      const subscription = store.subscribeToAll({
        after: start,
        onEvent: (e) => {
          if (e.streamName === name) resolveDone(e.type);
        },
      });
      try {
        await other.append(name, [event('Elsewhere')], 'no_stream');
        expect(await done).toBe('Elsewhere');
      } finally {
        await subscription.close();
        await other.close();
      }
    });

    it('delivers nothing at or before the position it starts after', async () => {
      const name = stream();
      await store.append(name, [event('Before')], 'no_stream');
      const start = await store.headPosition();
      const received: string[] = [];
      let resolveDone: () => void;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      const subscription = store.subscribeToAll({
        after: start,
        onEvent: (e) => {
          if (e.streamName !== name) return;
          received.push(e.type);
          resolveDone();
        },
      });
      await store.append(name, [event('After')], 0);
      await done;
      await subscription.close();
      expect(received).toEqual(['After']);
    });

    it('reports a handler failure through onError and stops delivering', async () => {
      const name = stream();
      const start = await store.headPosition();
      const delivered: string[] = [];
      const failure = new Promise<Error>((resolve) => {
        const subscription = store.subscribeToAll({
          after: start,
          onEvent: (e) => {
            if (e.streamName !== name) return;
            delivered.push(e.type);
            throw new Error('projection bug');
          },
          onError: (error) => {
            void subscription.close();
            resolve(error);
          },
        });
      });
      await store.append(name, [event('Poison'), event('Next')], 'no_stream');
      expect((await failure).message).toContain('projection bug');
      expect(delivered).toEqual(['Poison']);
    });
  });
};

const readAllAfter = async (store: EventStore, after: string | null, form: 'upcast' | 'as stored' = 'upcast') => {
  const events: RecordedEvent[] = [];
  let position = after;
  for (;;) {
    const page = form === 'upcast' ? await store.readAll(position, 1000) : await store.readAllAsStored(position, 1000);
    if (page.length === 0) return events;
    events.push(...page);
    position = page[page.length - 1].globalPosition;
  }
};

const metadata = (): EventMetadata => ({
  eventId: randomUUID(),
  tenantId: randomUUID(),
  actorId: 'system:contract-test',
  correlationId: randomUUID(),
  causationId: randomUUID(),
  occurredAt: new Date().toISOString(),
  schemaVersion: 1,
});
