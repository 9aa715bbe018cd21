import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKGROUND_NICENESS } from '../cpu-priority';
import { describeReadModelStoreContract } from '../testing/read-model-store.contract';
import { Page } from '../read-model-store.port';
import { SqliteReadModelStore } from './sqlite-read-model-store';

describeReadModelStoreContract('SQLite', async () =>
  new SqliteReadModelStore(join(mkdtempSync(join(tmpdir(), 'keyhold-rm-')), 'read-models.sqlite')),
);

describe('SQLite read models filled in bulk', () => {
  const ITEMS = { name: 'items', indexes: [['tenantId', 'createdAt'], ['label']] };

  const open = () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-rm-bulk-')), 'read-models.sqlite');
    const store = new SqliteReadModelStore(file);
    // A second connection, as another process would look at the file.
    const observer = new Database(file, { readonly: true });
    const indexes = () =>
      observer
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_items' AND sql IS NOT NULL ORDER BY name")
        .all()
        .map((row) => row.name);
    return { store, indexes, close: async () => (observer.close(), await store.close()) };
  };

  it('keeps no index up while loading, and has every index once the load is over, with what was loaded', async () => {
    const { store, indexes, close } = open();
    const items = store.collection<{ id: string; tenantId: string; label: string; createdAt: string }>(ITEMS);
    expect(indexes()).toEqual(['rm_items_ix0', 'rm_items_ix1']);
    let duringLoad: string[] = [];

    await store.bulkLoad([ITEMS], async () => {
      for (let n = 0; n < 50; n += 1) {
        const createdAt = `2026-01-01T00:00:${String(n).padStart(2, '0')}Z`;
        await items.putIfNewer({ id: `i${n}`, tenantId: 't', label: `l${n % 5}`, createdAt }, String(n).padStart(20, '0'));
      }
      duringLoad = indexes();
    });

    expect(duringLoad).toEqual([]);
    expect(indexes()).toEqual(['rm_items_ix0', 'rm_items_ix1']);
    const page = await items.list({ where: { label: 'l3' }, orderBy: 'createdAt', direction: 'asc', limit: 100 });
    expect(page.items.map((item) => item.id)).toEqual(['i3', 'i8', 'i13', 'i18', 'i23', 'i28', 'i33', 'i38', 'i43', 'i48']);
    await close();
  });

  it('has its indexes back when the load fails', async () => {
    const { store, indexes, close } = open();
    store.collection(ITEMS);

    await expect(store.bulkLoad([ITEMS], async () => Promise.reject(new Error('the log could not be read')))).rejects.toThrow('the log could not be read');

    expect(indexes()).toEqual(['rm_items_ix0', 'rm_items_ix1']);
    await close();
  });
});

describe('SQLite read models: the WAL checkpointer thread', () => {
  const linuxOnly = process.platform === 'linux' ? it : it.skip;
  /** Niceness of each thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
  const nicenessByThread = () =>
    new Map(readdirSync('/proc/self/task').map((thread) => [thread, Number(readFileSync(`/proc/self/task/${thread}/stat`, 'utf8').split(') ')[1].split(' ')[16])]));

  linuxOnly('runs at background niceness, leaving the threads that were there as they were', async () => {
    const before = nicenessByThread();
    const store = new SqliteReadModelStore(join(mkdtempSync(join(tmpdir(), 'keyhold-rm-ckpt-')), 'read-models.sqlite'));
    try {
      const after = nicenessByThread();
      const started = [...after].filter(([thread]) => !before.has(thread));
      expect(started).toEqual([[expect.any(String), BACKGROUND_NICENESS]]);
      for (const [thread, niceness] of before) if (after.has(thread)) expect(after.get(thread)).toBe(niceness);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite read models: a long writer and the WAL', () => {
  const LONG_WAL_BYTES = 256 * 1024;
  const ITEMS = { name: 'items', indexes: [] };

  it('starts the WAL over once it is long, between the writes of a long writer, instead of letting it grow by every page written', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-rm-wal-')), 'read-models.sqlite');
    const store = new SqliteReadModelStore(file, { longWalBytes: LONG_WAL_BYTES });
    // A reader on another connection, as a serving node has, between the writes.
    const reader = new Database(file, { readonly: true });
    const items = store.collection<{ id: string; body: string }>(ITEMS);
    const body = 'x'.repeat(2000);
    let longestWal = 0;
    try {
      for (let batch = 0; batch < 40; batch += 1) {
        await store.batch(async () => {
          for (let n = 0; n < 100; n += 1) await items.putIfNewer({ id: `i${batch}-${n}`, body }, '1');
        });
        reader.prepare('SELECT count(*) FROM rm_items').get();
        await store.leaveRoomForOtherWriters();
        longestWal = Math.max(longestWal, statSync(`${file}-wal`).size);
      }
      // 40 batches of about 200 KiB each: some 8 MiB written through the WAL in all.
      expect(longestWal).toBeLessThan(4 * LONG_WAL_BYTES);
      expect(reader.prepare('SELECT count(*) AS items FROM rm_items').get()).toEqual({ items: 4000 });
    } finally {
      reader.close();
      await store.close();
    }
  });
});

describe('SQLite read models: indexed fields in columns of their own', () => {
  type Item = { id: string; tenantId: string; createdAt: string; active: boolean; note?: string | null };
  const ITEMS = { name: 'items', indexes: [['tenantId', 'createdAt'], ['active', 'createdAt']] };
  const ITEM_COLUMNS = ['field_tenantId', 'field_createdAt', 'field_active'];
  const position = (n: number) => String(n).padStart(20, '0');
  const at = (n: number) => `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`;
  const newFile = () => join(mkdtempSync(join(tmpdir(), 'keyhold-rm-columns-')), 'read-models.sqlite');

  /** Each index of rm_items with its columns, as another connection sees them (null: an expression). */
  const indexColumnsIn = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      const names = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_items' AND sql IS NOT NULL ORDER BY name").all();
      return Object.fromEntries(names.map(({ name }) => [name, (db.pragma(`index_info(${name})`) as { name: string | null }[]).map((column) => column.name)]));
    } finally {
      db.close();
    }
  };
  const columnsIn = (file: string, ids: string[]) => {
    const db = new Database(file, { readonly: true });
    try {
      return ids.map((id) => db.prepare(`SELECT ${ITEM_COLUMNS.join(', ')} FROM rm_items WHERE id = ?`).get(id));
    } finally {
      db.close();
    }
  };
  const EXPECTED_INDEXES = {
    rm_items_ix0: ['field_tenantId', 'field_createdAt', 'id'],
    rm_items_ix1: ['field_active', 'field_createdAt', 'id'],
  };

  it('keeps each indexed field in a column, as json_extract reads it (booleans 1/0, null or missing NULL), kept up by every write, and indexes the columns', async () => {
    const file = newFile();
    const store = new SqliteReadModelStore(file);
    const items = store.collection<Item>(ITEMS);
    await items.putIfNewer({ id: 'a', tenantId: 't1', createdAt: at(1), active: true }, position(1));
    await items.putAllIfNewer([
      { doc: { id: 'b', tenantId: 't1', createdAt: at(2), active: false, note: null }, version: position(2) },
      { doc: { id: 'a', tenantId: 't2', createdAt: at(3), active: false }, version: position(3) },
    ]);
    // An older version changes neither the document nor its columns.
    await items.putIfNewer({ id: 'a', tenantId: 't9', createdAt: at(9), active: true }, position(2));

    expect(columnsIn(file, ['a', 'b'])).toEqual([
      { field_tenantId: 't2', field_createdAt: at(3), field_active: 0 },
      { field_tenantId: 't1', field_createdAt: at(2), field_active: 0 },
    ]);
    expect(indexColumnsIn(file)).toEqual(EXPECTED_INDEXES);
    const ids = async (where: Partial<Item>) => (await items.list({ where, orderBy: 'createdAt', direction: 'asc', limit: 10 })).items.map((item) => item.id);
    expect(await ids({ tenantId: 't1' })).toEqual(['b']);
    expect(await ids({ tenantId: 't2', active: false })).toEqual(['a']);
    expect(await ids({ active: true })).toEqual([]);
    await store.close();
  });

  it('opens a collection already laid out while another connection holds the write lock, without waiting for it', async () => {
    const file = newFile();
    const first = new SqliteReadModelStore(file);
    first.collection<Item>(ITEMS);
    await first.close();
    // Another process in the middle of a long write, as a rebuild beside a serving node.
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    const store = new SqliteReadModelStore(file, { blockOnLockMs: 0 });
    try {
      const started = Date.now();
      const items = store.collection<Item>(ITEMS);
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await items.list({ where: { tenantId: 't1' }, orderBy: 'createdAt', direction: 'asc', limit: 1 })).items).toEqual([]);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
      await store.close();
    }
  });

  it('fills the columns of a collection first opened with no indexes (to be cleared) once its projection opens it in full', async () => {
    const file = newFile();
    const store = new SqliteReadModelStore(file);
    await store.collection({ name: 'items', indexes: [] }).clear();
    await store.collection<Item>(ITEMS).putIfNewer({ id: 'a', tenantId: 't1', createdAt: at(1), active: true }, position(1));

    expect(columnsIn(file, ['a'])).toEqual([{ field_tenantId: 't1', field_createdAt: at(1), field_active: 1 }]);
    expect(indexColumnsIn(file)).toEqual(EXPECTED_INDEXES);
    await store.close();
  });

  it('opens a file written before columns (documents only, indexes on json_extract) with the same answers, its columns filled and its indexes on them', async () => {
    const file = newFile();
    // The layout written by earlier versions, statement for statement.
    const old = new Database(file);
    old.exec('CREATE TABLE rm_items (id TEXT PRIMARY KEY, version TEXT NOT NULL, doc TEXT NOT NULL)');
    old.exec("CREATE INDEX rm_items_ix0 ON rm_items (json_extract(doc, '$.tenantId'), json_extract(doc, '$.createdAt'), id)");
    old.exec("CREATE INDEX rm_items_ix1 ON rm_items (json_extract(doc, '$.active'), json_extract(doc, '$.createdAt'), id)");
    const docs: Item[] = Array.from({ length: 30 }, (_, n) => ({ id: `i${n}`, tenantId: `t${n % 3}`, createdAt: at(n), active: n % 4 === 0, ...(n % 5 === 0 ? { note: null } : {}) }));
    const insert = old.prepare('INSERT INTO rm_items (id, version, doc) VALUES (?, ?, ?)');
    docs.forEach((doc, n) => insert.run(doc.id, position(n), JSON.stringify(doc)));
    old.close();

    const store = new SqliteReadModelStore(file);
    const items = store.collection<Item>(ITEMS);

    expect(indexColumnsIn(file)).toEqual(EXPECTED_INDEXES);
    expect(columnsIn(file, ['i0', 'i1'])).toEqual([
      { field_tenantId: 't0', field_createdAt: at(0), field_active: 1 },
      { field_tenantId: 't1', field_createdAt: at(1), field_active: 0 },
    ]);
    const expected = (keep: (doc: Item) => boolean) => docs.filter(keep).map((doc) => doc.id);
    const listed = async (where: Partial<Item>, direction: 'asc' | 'desc' = 'asc') => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<Item> = await items.list({ where, orderBy: 'createdAt', direction, limit: 4, cursor });
        found.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    };
    expect(await listed({ tenantId: 't1' })).toEqual(expected((doc) => doc.tenantId === 't1'));
    expect(await listed({ active: true }, 'desc')).toEqual(expected((doc) => doc.active).reverse());
    expect(await listed({ tenantId: 't2', active: false })).toEqual(expected((doc) => doc.tenantId === 't2' && !doc.active));
    expect(await listed({ note: null })).toEqual(expected(() => true));
    expect(await items.get('i7')).toEqual(docs[7]);
    // Written after the upgrade, a document joins the same answers.
    await items.putIfNewer({ id: 'i30', tenantId: 't1', createdAt: at(30), active: true }, position(30));
    expect(await listed({ tenantId: 't1', active: true })).toEqual([...expected((doc) => doc.tenantId === 't1' && doc.active), 'i30']);
    await store.close();

    // Opened again, the file is left as it is: nothing to add, nothing to rebuild.
    const again = new SqliteReadModelStore(file);
    expect((await again.collection<Item>(ITEMS).list({ where: { tenantId: 't0' }, orderBy: 'createdAt', direction: 'asc', limit: 100 })).items).toHaveLength(10);
    expect(indexColumnsIn(file)).toEqual(EXPECTED_INDEXES);
    await again.close();
  });
});
