import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SqliteReadModelStore } from '@keyhold/read-models';
import { UsageRecorder } from './usage-recorder';

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
});
