import { randomUUID } from 'node:crypto';
import { InvalidCursorError, ReadModelStore } from '../read-model-store.port';

type Item = { id: string; tenantId: string; label: string; createdAt: string; active: boolean; note: string | null };

/** The behaviour every read-model store adapter must show; collection names are fresh per test. */
export const describeReadModelStoreContract = (adapterName: string, open: () => Promise<ReadModelStore>) => {
  describe(`ReadModelStore contract: ${adapterName}`, () => {
    let store: ReadModelStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    const collection = () =>
      store.collection<Item>({
        name: `contract_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
        indexes: [['tenantId', 'createdAt']],
      });
    const item = (n: number, overrides: Partial<Item> = {}): Item => ({
      id: `item-${n}`,
      tenantId: 't1',
      label: `label ${n}`,
      createdAt: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`,
      active: true,
      note: null,
      ...overrides,
    });
    const position = (n: number) => String(n).padStart(20, '0');

    it('stores a document and gets it back unchanged', async () => {
      const items = collection();
      expect(await items.putIfNewer(item(1, { note: 'x' }), position(1))).toBe(true);
      expect(await items.get('item-1')).toEqual(item(1, { note: 'x' }));
      expect(await items.get('missing')).toBeNull();
    });

    it('applies a newer version and ignores the same or an older one', async () => {
      const items = collection();
      await items.putIfNewer(item(1, { label: 'v5' }), position(5));
      expect(await items.putIfNewer(item(1, { label: 'v5-again' }), position(5))).toBe(false);
      expect(await items.putIfNewer(item(1, { label: 'v3' }), position(3))).toBe(false);
      expect((await items.get('item-1'))?.label).toBe('v5');
      expect(await items.putIfNewer(item(1, { label: 'v7' }), position(7))).toBe(true);
      expect((await items.get('item-1'))?.label).toBe('v7');
    });

    it('compares versions as text, so ISO timestamps work as versions too', async () => {
      const items = collection();
      await items.putIfNewer(item(1, { label: 'later' }), '2026-05-01T10:00:00.000Z');
      expect(await items.putIfNewer(item(1, { label: 'earlier' }), '2026-04-30T23:59:59.999Z')).toBe(false);
      expect((await items.get('item-1'))?.label).toBe('later');
    });

    it('puts several documents at once, each only over an older version', async () => {
      const items = collection();
      await items.putIfNewer(item(1, { label: 'stored v5' }), position(5));
      await items.putIfNewer(item(2, { label: 'stored v1' }), position(1));
      await items.putAllIfNewer([
        { doc: item(1, { label: 'older v3' }), version: position(3) },
        { doc: item(2, { label: 'newer v4' }), version: position(4) },
        { doc: item(3, { label: 'new v2' }), version: position(2) },
      ]);
      expect((await items.get('item-1'))?.label).toBe('stored v5');
      expect((await items.get('item-2'))?.label).toBe('newer v4');
      expect((await items.get('item-3'))?.label).toBe('new v2');
      await items.putAllIfNewer([]);
      expect(await items.putIfNewer(item(2, { label: 'v4 again' }), position(4))).toBe(false);
    });

    it('lists with equality filters, ordered, with a limit', async () => {
      const items = collection();
      for (const n of [3, 1, 2]) await items.putIfNewer(item(n), position(n));
      await items.putIfNewer(item(4, { tenantId: 't2' }), position(4));
      await items.putIfNewer(item(5, { active: false }), position(5));
      const asc = await items.list({ where: { tenantId: 't1', active: true }, orderBy: 'createdAt', direction: 'asc', limit: 10 });
      expect(asc.items.map((i) => i.id)).toEqual(['item-1', 'item-2', 'item-3']);
      expect(asc.nextCursor).toBeNull();
      const desc = await items.list({ where: { tenantId: 't1' }, orderBy: 'createdAt', direction: 'desc', limit: 2 });
      expect(desc.items.map((i) => i.id)).toEqual(['item-5', 'item-3']);
      expect(desc.nextCursor).not.toBeNull();
    });

    it('filters on null', async () => {
      const items = collection();
      await items.putIfNewer(item(1, { note: 'set' }), position(1));
      await items.putIfNewer(item(2), position(2));
      const page = await items.list({ where: { note: null }, orderBy: 'createdAt', direction: 'asc', limit: 10 });
      expect(page.items.map((i) => i.id)).toEqual(['item-2']);
    });

    it('pages with cursors through equal sort values without gaps or repeats', async () => {
      const items = collection();
      for (let n = 1; n <= 7; n += 1) {
        await items.putIfNewer(item(n, { createdAt: n <= 4 ? '2026-01-01T00:00:00.000Z' : item(n).createdAt }), position(n));
      }
      for (const direction of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { items: Item[]; nextCursor: string | null } = await items.list({
            where: { tenantId: 't1' },
            orderBy: 'createdAt',
            direction,
            limit: 3,
            cursor,
          });
          seen.push(...page.items.map((i) => i.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect([...seen].sort()).toEqual(['item-1', 'item-2', 'item-3', 'item-4', 'item-5', 'item-6', 'item-7']);
        expect(new Set(seen).size).toBe(7);
      }
    });

    it('filters on a range of one field, from inclusive to exclusive, either bound optional', async () => {
      const items = collection();
      for (let n = 1; n <= 6; n += 1) await items.putIfNewer(item(n), position(n));
      const between = (from?: string, to?: string) =>
        items
          .list({ where: { tenantId: 't1' }, orderBy: 'createdAt', direction: 'asc', limit: 10, range: { field: 'createdAt', from, to } })
          .then((page) => page.items.map((i) => i.id));
      expect(await between(item(2).createdAt, item(5).createdAt)).toEqual(['item-2', 'item-3', 'item-4']);
      expect(await between(item(5).createdAt)).toEqual(['item-5', 'item-6']);
      expect(await between(undefined, item(2).createdAt)).toEqual(['item-1']);
      expect(await between()).toHaveLength(6);
      expect(await between(item(4).createdAt, item(4).createdAt)).toEqual([]);
    });

    it('pages with cursors inside a range, on a different field than the order', async () => {
      const items = collection();
      for (let n = 1; n <= 9; n += 1) await items.putIfNewer(item(n, { label: `label ${10 - n}` }), position(n));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Item[]; nextCursor: string | null } = await items.list({
          where: { tenantId: 't1' },
          orderBy: 'label',
          direction: 'desc',
          limit: 2,
          cursor,
          range: { field: 'createdAt', from: item(3).createdAt, to: item(8).createdAt },
        });
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['item-3', 'item-4', 'item-5', 'item-6', 'item-7']);
    });

    it('filters on any of several values of one field, with equality and a range beside it', async () => {
      const items = collection();
      for (let n = 1; n <= 6; n += 1) await items.putIfNewer(item(n, { label: `kind ${n % 3}` }), position(n));
      await items.putIfNewer(item(7, { label: 'kind 1', tenantId: 't2' }), position(7));
      const page = await items.list({
        where: { tenantId: 't1' },
        orderBy: 'createdAt',
        direction: 'asc',
        limit: 10,
        anyOf: { field: 'label', values: ['kind 1', 'kind 2'] },
        range: { field: 'createdAt', from: item(2).createdAt },
      });
      expect(page.items.map((i) => i.id)).toEqual(['item-2', 'item-4', 'item-5']);
      const none = await items.list({ where: {}, orderBy: 'createdAt', direction: 'asc', limit: 10, anyOf: { field: 'label', values: [] } });
      expect(none.items).toEqual([]);
    });

    it('rejects a cursor it did not make', async () => {
      const items = collection();
      await expect(
        items.list({ where: {}, orderBy: 'createdAt', direction: 'asc', limit: 1, cursor: 'not-a-cursor' }),
      ).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('removes the documents whose field sorts before a value, and only those, again removing nothing', async () => {
      const items = collection();
      for (let n = 1; n <= 4; n += 1) await items.putIfNewer(item(n), position(n));
      expect(await items.removeBefore('createdAt', item(3).createdAt)).toBe(2);
      expect(await items.removeBefore('createdAt', item(3).createdAt)).toBe(0);
      const left = await items.list({ where: {}, orderBy: 'createdAt', direction: 'asc', limit: 10 });
      expect(left.items.map((i) => i.id)).toEqual(['item-3', 'item-4']);
      expect(await items.get('item-1')).toBeNull();
    });

    it('clears a collection', async () => {
      const items = collection();
      await items.putIfNewer(item(1), position(1));
      await items.clear();
      expect(await items.get('item-1')).toBeNull();
    });

    it('keeps the newest of concurrent writes to one existing document', async () => {
      const items = collection();
      await items.putIfNewer(item(1, { label: 'v1' }), position(1));
      const versions = [5, 3, 8, 2, 7, 8, 6];
      const wrote = await Promise.all(versions.map((n) => items.putIfNewer(item(1, { label: `v${n}` }), position(n))));
      expect((await items.get('item-1'))?.label).toBe('v8');
      // Exactly one of the two writes of the newest version won; the older ones may or may not have landed first.
      expect(wrote.filter((written, n) => written && versions[n] === 8)).toHaveLength(1);
      expect(await items.putIfNewer(item(1, { label: 'v7-late' }), position(7))).toBe(false);
    });

    describe('batch (where the store has one)', () => {
      const inBatch = <T>(work: () => Promise<T>) => (store.batch ? store.batch(work) : work());

      it('lets reads inside see the batch\'s writes, and stores them all', async () => {
        const items = collection();
        const projection = `contract-${randomUUID()}`;
        await items.putIfNewer(item(1, { label: 'before' }), position(1));
        await inBatch(async () => {
          expect(await items.putIfNewer(item(1, { label: 'in batch' }), position(2))).toBe(true);
          expect(await items.putIfNewer(item(1, { label: 'older' }), position(2))).toBe(false);
          expect((await items.get('item-1'))?.label).toBe('in batch');
          for (let n = 2; n <= 30; n += 1) await items.putIfNewer(item(n), position(n));
          await store.saveCheckpoint(projection, position(30));
          expect(await store.getCheckpoint(projection)).toBe(position(30));
          const page = await items.list({ where: { tenantId: 't1' }, orderBy: 'createdAt', direction: 'asc', limit: 100 });
          expect(page.items).toHaveLength(30);
          expect(page.items[0].label).toBe('in batch');
          await items.putIfNewer(item(31), position(31));
        });
        expect((await items.get('item-1'))?.label).toBe('in batch');
        expect(await items.get('item-31')).toEqual(item(31));
        expect((await items.list({ where: {}, orderBy: 'createdAt', direction: 'asc', limit: 100 })).items).toHaveLength(31);
        expect(await store.getCheckpoint(projection)).toBe(position(30));
      });

      it('never moves a stored document backwards, whatever the batch held', async () => {
        const items = collection();
        await items.putIfNewer(item(1, { label: 'v9' }), position(9));
        await inBatch(async () => {
          await items.putIfNewer(item(1, { label: 'v4' }), position(4));
          await items.putIfNewer(item(2, { label: 'v4' }), position(4));
        });
        expect((await items.get('item-1'))?.label).toBe('v9');
        expect((await items.get('item-2'))?.label).toBe('v4');
      });

      it('writes nothing of a batch whose work throws', async () => {
        const items = collection();
        const projection = `contract-${randomUUID()}`;
        await items.putIfNewer(item(1, { label: 'kept' }), position(1));
        await expect(
          inBatch(async () => {
            await items.putIfNewer(item(1, { label: 'dropped' }), position(2));
            await items.putIfNewer(item(2), position(2));
            await store.saveCheckpoint(projection, position(2));
            throw new Error('projection failed');
          }),
        ).rejects.toThrow('projection failed');
        expect((await items.get('item-1'))?.label).toBe('kept');
        expect(await items.get('item-2')).toBeNull();
        expect(await store.getCheckpoint(projection)).toBeNull();
      });
    });

    it('keeps checkpoints and never moves one backwards', async () => {
      const projection = `contract-${randomUUID()}`;
      expect(await store.getCheckpoint(projection)).toBeNull();
      await store.saveCheckpoint(projection, position(10));
      await store.saveCheckpoint(projection, position(4));
      expect(await store.getCheckpoint(projection)).toBe(position(10));
      await store.saveCheckpoint(projection, position(12));
      expect(await store.getCheckpoint(projection)).toBe(position(12));
    });
  });
};
