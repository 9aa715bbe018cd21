import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { ReadModelGenerations, ReadModelStore, SqliteReadModelStore } from '@keyhold/read-models';
import { PENDING_AT_MOST, UsageRecorder } from './usage-recorder';

describe('UsageRecorder', () => {
  it('writes a large flush in slices, letting requests run between them, and loses no use', async () => {
    const readModels = new SqliteReadModelStore(join(mkdtempSync(join(tmpdir(), 'keyhold-usage-')), 'rm.sqlite'));
    const usage = new UsageRecorder(readModels, pino({ enabled: false }));
    const at = new Date().toISOString();
    const tokenIds = Array.from({ length: 2000 }, () => randomUUID());
    for (const tokenId of tokenIds) usage.record(tokenId, at);

    let turnsDuringFlush = 0;
    let flushing = true;
    const turn = () => {
      if (!flushing) return;
      turnsDuringFlush += 1;
      setImmediate(turn);
    };
    setImmediate(turn);
    await usage.flush();
    flushing = false;

    // 2000 writes, 100 per turn: the event loop turned between slices rather than once at the end.
    expect(turnsDuringFlush).toBeGreaterThanOrEqual(10);
    const stored = await usage.lastUsedAt(tokenIds);
    expect(stored.size).toBe(tokenIds.length);
    expect(new Set(stored.values())).toEqual(new Set([at]));
    await readModels.close();
  });

  it('flushes while another connection holds the write lock (a read-model catch-up) by waiting off the thread, not in SQLite', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-usage-')), 'rm.sqlite');
    // As a serving node opens it: a write that finds the lock taken retries later, off the thread;
    // requests and the recorder read through the generations' live store.
    const readModels = new SqliteReadModelStore(file, { blockOnLockMs: 0 });
    const generations = await ReadModelGenerations.open(readModels);
    // Made at start, as the node makes it before its read models' catch-up begins.
    const usage = new UsageRecorder(generations.live, pino({ enabled: false }));
    const catchUp = new Database(file);
    catchUp.exec('BEGIN IMMEDIATE');
    const tokenId = randomUUID();
    const at = new Date().toISOString();
    usage.record(tokenId, at);

    const flushed = usage.flush();
    let settled = false;
    void flushed.finally(() => (settled = true));
    // Before the fix the first flush made the table here, blocking this thread in SQLite's busy
    // handler until it gave up with SQLITE_BUSY: these turns ran only after the flush had failed.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);

    catchUp.exec('COMMIT');
    await flushed;
    expect((await usage.lastUsedAt([tokenId])).get(tokenId)).toBe(at);
    catchUp.close();
    await generations.close();
  });

  it('starts a flush as soon as the pending uses reach their bound, without waiting for the interval', async () => {
    let written = 0;
    let firstWrite!: () => void;
    const wrote = new Promise<void>((resolve) => (firstWrite = resolve));
    const readModels = {
      collection: () => ({
        putAllIfNewer: async (entries: unknown[]) => {
          written += entries.length;
          firstWrite();
        },
      }),
    } as unknown as ReadModelStore;
    // No onModuleInit: no interval runs, so only the bound can start this flush.
    const usage = new UsageRecorder(readModels, pino({ enabled: false }));
    const at = new Date().toISOString();
    for (let n = 0; n < PENDING_AT_MOST - 1; n += 1) usage.record(`token-${n}`, at);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBe(0);
    usage.record(`token-${PENDING_AT_MOST}`, at);
    await wrote;
    expect(written).toBeGreaterThan(0);
  });
});
