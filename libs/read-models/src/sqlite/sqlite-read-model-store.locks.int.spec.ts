import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { SqliteReadModelStore } from './sqlite-read-model-store';

const ITEMS = { name: 'items', indexes: [] };

/** Turns of the event loop: the thread is free when they happen at all. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i += 1) await setImmediate();
};

describe('SQLite read models on a thread that must not block', () => {
  it('writes while another connection holds the write lock wait with the thread free, and land once it is released', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-rm-locks-')), 'read-models.sqlite');
    const store = new SqliteReadModelStore(file, { blockOnLockMs: 0 });
    const items = store.collection<{ id: string; n: number }>(ITEMS);
    await store.saveCheckpoint('p', '1');
    await items.putIfNewer({ id: 'old', n: 0 }, '1');
    // Another process, as a rebuild would be: it holds the lock until it commits.
    const rebuild = new Database(file);
    rebuild.pragma('busy_timeout = 5000');
    rebuild.exec('BEGIN IMMEDIATE');
    try {
      const settled: string[] = [];
      const put = items.putIfNewer({ id: 'a', n: 1 }, '2').then((written) => settled.push(`put ${written}`));
      const checkpoint = store.saveCheckpoint('p', '2').then(() => settled.push('checkpoint'));
      const batch = store.batch(async () => settled.push('batch'));
      const removal = items.removeBefore('n', 1).then((removed) => settled.push(`removed ${removed}`));

      await turns(50);
      expect(settled).toEqual([]);
      expect(await items.get('a')).toBeNull();

      rebuild.exec('COMMIT');
      await Promise.all([put, checkpoint, batch, removal]);
      expect(settled.sort()).toEqual(['batch', 'checkpoint', 'put true', 'removed 1']);
      expect(await items.get('a')).toEqual({ id: 'a', n: 1 });
      expect(await items.get('old')).toBeNull();
      expect(await store.getCheckpoint('p')).toBe('2');
    } finally {
      if (rebuild.inTransaction) rebuild.exec('ROLLBACK');
      rebuild.close();
      await store.close();
    }
  });

  it('makes a collection that does not exist yet while another process holds the write lock for a moment (a rebuild creating its generation beside a serving node)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-rm-locks-')), 'read-models.sqlite');
    const store = new SqliteReadModelStore(file, { blockOnLockMs: 0 });
    // Another process, as a serving node writing usage is: it holds the lock for 300 ms from another thread.
    const holder = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const db = new (require(workerData.driver))(workerData.file);
       db.exec('BEGIN IMMEDIATE');
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file } },
    );
    try {
      await new Promise((resolve) => holder.once('message', resolve));
      const fresh = store.collection<{ id: string; n: number }>({ name: 'fresh', indexes: [['n']] });
      await fresh.putIfNewer({ id: 'a', n: 1 }, '1');
      expect(await fresh.get('a')).toEqual({ id: 'a', n: 1 });
    } finally {
      await holder.terminate();
      await store.close();
    }
  });
});
