import { setTimeout as sleep } from 'node:timers/promises';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';
import { ReadModelGenerations, RebuildLockedError } from './read-model-generations';

type Note = ReadModelDocument & { id: string; text: string };

const NOTES: CollectionDefinition = { name: 'notes', indexes: [['text']] };
const USAGE: CollectionDefinition = { name: 'usage', indexes: [] };
const REFRESH_MS = 50;

const position = (n: number) => String(n).padStart(20, '0');
const notesProjection = (readModels: ReadModelStore): Projection => {
  readModels.collection(NOTES);
  return { name: 'notes', apply: () => undefined };
};

/** Two handles on one fresh storage, as two processes (the service and the rebuild CLI) would have. */
export type OpenTwice = () => Promise<[ReadModelStore, ReadModelStore]>;

const eventually = async (check: () => boolean | Promise<boolean>) => {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await check()) return true;
    await sleep(REFRESH_MS / 2);
  }
  return false;
};

/** What any ReadModelStore must allow the generation layer to do, run against each adapter. */
export const describeReadModelGenerationsContract = (adapter: string, openTwice: OpenTwice): void => {
  describe(`Read-model generations over ${adapter}`, () => {
    let service: ReadModelGenerations;
    let rebuilder: ReadModelGenerations;

    beforeEach(async () => {
      const [first, second] = await openTwice();
      service = await ReadModelGenerations.open(first, { refreshMs: REFRESH_MS });
      rebuilder = await ReadModelGenerations.open(second, { refreshMs: REFRESH_MS });
    });
    afterEach(async () => {
      await service.close();
      await rebuilder.close();
    });

    it('reads data written before generations existed under its old names, as generation 0', async () => {
      await service.at(0).collection<Note>(NOTES).putIfNewer({ id: 'n1', text: 'old' }, position(1));
      expect(await service.live.collection<Note>(NOTES).get('n1')).toEqual({ id: 'n1', text: 'old' });
      expect(service.generationOf('notes')).toBe(0);
    });

    it('keeps a new generation apart until the switch, then every process reads it; other collections stay', async () => {
      await service.live.collection<Note>(NOTES).putIfNewer({ id: 'n1', text: 'old' }, position(1));
      await service.live.collection(USAGE).putIfNewer({ id: 'u1' }, position(1));
      const switched: Array<[string, number]> = [];
      service.onSwitch((projection, generation) => switched.push([projection, generation]));

      const generation = await rebuilder.reserveGeneration();
      const { projection, collections } = rebuilder.bind(notesProjection, generation);
      expect(projection.name).toBe('notes');
      expect(collections).toEqual([NOTES]);
      await rebuilder.at(generation).collection<Note>(NOTES).putIfNewer({ id: 'n1', text: 'rebuilt' }, position(1));
      await rebuilder.at(generation).collection<Note>(NOTES).putIfNewer({ id: 'n2', text: 'rebuilt too' }, position(2));
      expect(await service.live.collection<Note>(NOTES).get('n1')).toEqual({ id: 'n1', text: 'old' });

      const before = await rebuilder.switchTo({ notes: { generation, collections: ['notes'] } });
      expect(before).toEqual({ notes: { generation: 0, collections: ['notes'] } });
      expect(await eventually(() => service.generationOf('notes') === generation)).toBe(true);
      expect(switched).toEqual([['notes', generation]]);
      const live = service.live.collection<Note>(NOTES);
      expect(await live.get('n1')).toEqual({ id: 'n1', text: 'rebuilt' });
      const page = await live.list({ where: {}, orderBy: 'text', direction: 'asc', limit: 10 });
      expect(page.items.map((note) => note.id)).toEqual(['n1', 'n2']);
      expect(await service.live.collection(USAGE).get('u1')).toEqual({ id: 'u1' });
      // The old generation is still there, under its old name, until someone clears it.
      expect(await service.at(0).collection<Note>(NOTES).get('n1')).toEqual({ id: 'n1', text: 'old' });
    });

    it('keeps checkpoints per generation, and live checkpoints (relays, shredders) where they were', async () => {
      await service.live.saveCheckpoint('notes', position(7));
      await service.at(3).saveCheckpoint('notes', position(2));
      expect(await service.at(0).getCheckpoint('notes')).toBe(position(7));
      expect(await service.at(3).getCheckpoint('notes')).toBe(position(2));
      expect(await rebuilder.at(4).getCheckpoint('notes')).toBeNull();
    });

    it('never hands out one generation twice, even to two processes at once', async () => {
      const numbers = await Promise.all([1, 2, 3].flatMap(() => [service.reserveGeneration(), rebuilder.reserveGeneration()]));
      expect(new Set(numbers).size).toBe(6);
      expect(Math.min(...numbers)).toBe(1);
    });

    it('keeps both of two switches written at the same time', async () => {
      await Promise.all([
        service.switchTo({ a: { generation: 1, collections: ['a'] } }),
        rebuilder.switchTo({ b: { generation: 2, collections: ['b'] } }),
      ]);
      await service.refresh();
      expect([service.generationOf('a'), service.generationOf('b')]).toEqual([1, 2]);
    });

    it('lets one rebuild hold the lock at a time, names the holder, and frees it on release or expiry', async () => {
      let now = 1_000_000;
      const clock = () => now;
      const first = await rebuilder.acquireLock('host-a:1', 60_000, clock);
      const refusal = service.acquireLock('host-b:2', 60_000, clock);
      await expect(refusal).rejects.toThrow(RebuildLockedError);
      await expect(refusal).rejects.toThrow(/host-a:1/);
      await first.renew();
      await first.release();
      const second = await service.acquireLock('host-b:2', 60_000, clock);

      now += 61_000;
      const third = await rebuilder.acquireLock('host-c:3', 60_000, clock);
      // The holder whose lock expired and was taken learns it when it next renews.
      await expect(second.renew()).rejects.toThrow(/host-c:3/);
      await third.release();
    });

    it('lets only one of two simultaneous takers have the lock', async () => {
      const outcomes = await Promise.allSettled([rebuilder.acquireLock('host-a:1', 60_000), service.acquireLock('host-b:2', 60_000)]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(RebuildLockedError);
    });
  });
};
