import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventMetadata } from '@keyhold/domain';
import { streamHeadHash } from '../chain/event-chain';
import { verifyEventLog } from '../chain/verify-event-log';
import { EventToAppend } from '../event-store.port';
import { SqliteEventStore } from './sqlite-event-store';

const metadata = (): EventMetadata => ({
  eventId: randomUUID(),
  tenantId: 'tenant-1',
  actorId: 'user-1',
  correlationId: 'c-1',
  causationId: 'c-1',
  occurredAt: '2025-03-01T09:00:00.000Z',
  schemaVersion: 1,
});
const event = (type: string, data: Record<string, unknown>): EventToAppend => ({ type, data, metadata: metadata() });

/** A log file of its own, a store over it, and a second connection that edits rows behind the store's back. */
const openLog = () => {
  const file = join(mkdtempSync(join(tmpdir(), 'keyhold-chain-')), 'events.sqlite');
  const store = new SqliteEventStore(file);
  const raw = new Database(file);
  return { store, raw };
};

describe('Hash chains in the SQLite event log', () => {
  let log: ReturnType<typeof openLog>;
  beforeEach(async () => {
    log = openLog();
    await log.store.append('alpha-1', [event('Opened', { n: 0 }), event('Changed', { n: 1 })], 'no_stream');
    await log.store.append('beta-1', [event('Opened', { n: 0 })], 'no_stream');
    await log.store.append('alpha-1', [event('Changed', { n: 2 })], 1);
  });
  afterEach(async () => {
    log.raw.close();
    await log.store.close();
  });

  it('verifies an intact log', async () => {
    expect(await verifyEventLog(log.store, { pageSize: 2 })).toEqual({ events: 4, streams: 2, unchained: 0, ok: true, firstBrokenLink: null });
  });

  it('names exactly the event whose data was changed in the file', async () => {
    const target = log.raw
      .prepare<[], { position: number; event_id: string; metadata: string }>("SELECT position, event_id, metadata FROM events WHERE stream_name = 'alpha-1' AND stream_revision = 1")
      .get()!;
    log.raw.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ n: 100 }), target.position);

    const verification = await verifyEventLog(log.store, { pageSize: 2 });
    expect(verification.ok).toBe(false);
    expect(verification.firstBrokenLink).toEqual({
      streamName: 'alpha-1',
      streamRevision: 1,
      eventId: target.event_id,
      globalPosition: String(target.position).padStart(20, '0'),
      expected: expect.stringMatching(/^[0-9a-f]{64}$/),
      found: JSON.parse(target.metadata).integrity.hash,
      problem: 'hash does not match the stored content',
    });
    // Upcast reads are not what is verified: the edit shows there as it is, unflagged.
    expect((await log.store.readStream('alpha-1'))[1].data).toEqual({ n: 100 });
  });

  it('names an event whose metadata was changed', async () => {
    log.raw.prepare("UPDATE events SET metadata = json_set(metadata, '$.actorId', 'someone-else') WHERE stream_name = 'beta-1'").run();
    expect((await verifyEventLog(log.store)).firstBrokenLink).toMatchObject({ streamName: 'beta-1', streamRevision: 0, problem: 'hash does not match the stored content' });
  });

  it('names the event after a deleted one', async () => {
    log.raw.prepare("DELETE FROM events WHERE stream_name = 'alpha-1' AND stream_revision = 1").run();
    expect((await verifyEventLog(log.store)).firstBrokenLink).toMatchObject({
      streamName: 'alpha-1',
      streamRevision: 2,
      problem: 'revision out of sequence (an event is missing or moved)',
      expected: 1,
      found: 2,
    });
  });

  it('checks only the stream asked for', async () => {
    log.raw.prepare("UPDATE events SET data = '{\"n\":9}' WHERE stream_name = 'beta-1'").run();
    expect(await verifyEventLog(log.store, { stream: 'alpha-1' })).toMatchObject({ events: 3, streams: 1, ok: true });
    expect(await verifyEventLog(log.store, { stream: 'beta-1' })).toMatchObject({ events: 1, ok: false });
  });
});

describe('A SQLite log written before chaining', () => {
  it('counts old events as unchained, and links the first new event to their computed hash', async () => {
    const { store, raw } = openLog();
    const insert = raw.prepare(
      'INSERT INTO events (event_id, stream_name, stream_revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const [revision, n] of [[0, 0], [1, 1]]) {
      const old = metadata();
      insert.run(old.eventId, 'legacy-1', revision, 'Changed', JSON.stringify({ n }), JSON.stringify(old));
    }
    const history = await store.readAllAsStored(null, 10);
    expect(history.every((e) => e.metadata.integrity === undefined)).toBe(true);

    await store.append('legacy-1', [event('Changed', { n: 2 })], 1);
    const [, , appended] = await store.readAllAsStored(null, 10);
    expect(appended.metadata.integrity?.previousHash).toBe(streamHeadHash(history));
    expect(await verifyEventLog(store)).toEqual({ events: 3, streams: 1, unchained: 2, ok: true, firstBrokenLink: null });

    // History edited after the upgrade no longer matches the link the first chained event made.
    raw.prepare("UPDATE events SET data = '{\"n\":-1}' WHERE stream_revision = 0").run();
    expect((await verifyEventLog(store)).firstBrokenLink).toMatchObject({
      streamRevision: 2,
      problem: 'previousHash does not match the previous event',
      found: streamHeadHash(history),
    });
    raw.close();
    await store.close();
  });
});
