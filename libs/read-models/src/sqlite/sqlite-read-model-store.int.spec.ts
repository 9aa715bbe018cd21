import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKGROUND_NICENESS } from '../cpu-priority';
import { describeReadModelStoreContract } from '../testing/read-model-store.contract';
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

  // A serving node's live read models commit a page of events after every group commit of the
  // log and never pause as a long writer does: before, its WAL grew by every page committed.
  it('starts the WAL over once it is long, from the checkpointer thread, under commits that never pause', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-rm-wal-')), 'read-models.sqlite');
    const store = new SqliteReadModelStore(file, { longWalBytes: LONG_WAL_BYTES, restartWalBytes: LONG_WAL_BYTES, checkpointEveryMs: 10, blockOnLockMs: 0 });
    const reader = new Database(file, { readonly: true });
    const items = store.collection<{ id: string; body: string }>(ITEMS);
    const body = 'x'.repeat(2000);
    const walBytes = () => statSync(`${file}-wal`).size;
    let longestWal = 0;
    let startedOver = false;
    try {
      // Up to some 80 MiB through the WAL, 200 KiB a commit, a few ms apart; it ends at the first start-over.
      for (let batch = 0; batch < 400 && !startedOver; batch += 1) {
        await store.batch(async () => {
          for (let n = 0; n < 100; n += 1) await items.putIfNewer({ id: `i${batch}-${n}`, body }, '1');
        });
        reader.prepare('SELECT count(*) FROM rm_items').get();
        startedOver = walBytes() < longestWal;
        longestWal = Math.max(longestWal, walBytes());
        await sleep(5);
      }
      expect(startedOver).toBe(true);
      expect(longestWal).toBeGreaterThan(LONG_WAL_BYTES);
      expect(walBytes()).toBeLessThanOrEqual(LONG_WAL_BYTES);
    } finally {
      reader.close();
      await store.close();
    }
  });
});
