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

    it('rejects a cursor it did not make', async () => {
      const items = collection();
      await expect(
        items.list({ where: {}, orderBy: 'createdAt', direction: 'asc', limit: 1, cursor: 'not-a-cursor' }),
      ).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('clears a collection', async () => {
      const items = collection();
      await items.putIfNewer(item(1), position(1));
      await items.clear();
      expect(await items.get('item-1')).toBeNull();
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
