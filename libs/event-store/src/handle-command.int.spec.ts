import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decider } from '@keyhold/domain';
import { WrongExpectedRevisionError } from './event-store.port';
import { CommandContext, handleCommand } from './handle-command';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

type Counted = { type: 'Counted'; data: { n: number } };
/** A stream that counts: each command appends the next number, so a lost or doubled append shows. */
const counter: Decider<number, { type: 'Count' }, Counted, never> = {
  initialState: () => 0,
  decide: (_command, count) => ({ outcome: 'accepted', events: [{ type: 'Counted', data: { n: count + 1 } }] }),
  evolve: (count) => count + 1,
};
const context: CommandContext = { tenantId: 't', actorId: 'system:test', correlationId: 'c', causationId: 'c', now: '2026-01-01T00:00:00.000Z' };

describe('handleCommand over the group-committing SQLite store', () => {
  let store: SqliteEventStore;
  beforeAll(() => {
    store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-hc-')), 'events.sqlite'));
  });
  afterAll(() => store.close());

  it('runs many concurrent commands on one stream without a conflict, each on the state the one before it wrote', async () => {
    const results = await Promise.all(Array.from({ length: 25 }, () => handleCommand(store, 'counter-one', counter, { type: 'Count' }, context, { maxAttempts: 1 })));
    expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
    expect((await store.readStream('counter-one')).map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 25 }, (_, n) => n + 1));
  });

  it('appends on the revision the caller expected, and refuses a stale one without deciding again', async () => {
    await handleCommand(store, 'counter-two', counter, { type: 'Count' }, context);
    await handleCommand(store, 'counter-two', counter, { type: 'Count' }, context, { expectedRevision: 0 });
    await expect(handleCommand(store, 'counter-two', counter, { type: 'Count' }, context, { expectedRevision: 0 })).rejects.toThrow(WrongExpectedRevisionError);
    expect((await store.readStream('counter-two')).map((e) => e.streamRevision)).toEqual([0, 1]);
  });
});
