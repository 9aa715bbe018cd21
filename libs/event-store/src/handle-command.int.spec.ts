import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decider } from '@keyhold/domain';
import { WrongExpectedRevisionError } from './event-store.port';
import { CommandContext, handleCommand } from './handle-command';
import { readFolded } from './folded-streams';
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
  const file = join(mkdtempSync(join(tmpdir(), 'keyhold-hc-')), 'events.sqlite');
  let store: SqliteEventStore;
  beforeAll(() => {
    store = new SqliteEventStore(file);
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

  it('folds on from the state it last saw, and sees what another store on the same log appended meanwhile', async () => {
    const other = new SqliteEventStore(file);
    try {
      const count = (on: SqliteEventStore) => handleCommand(on, 'counter-three', counter, { type: 'Count' }, context, { maxAttempts: 1 });
      await count(store);
      await count(store);
      expect(await readFolded(store, 'counter-three', counter)).toEqual({ state: 2, revision: 1 });
      await count(other);
      // One attempt only: the decision on the cached state (2) conflicts with the other's append,
      // and the one attempt reads the log and decides on 3.
      const next = await count(store);
      expect(next).toMatchObject({ outcome: 'accepted', state: 4, events: [{ data: { n: 4 } }] });
      expect(await readFolded(other, 'counter-three', counter)).toEqual({ state: 4, revision: 3 });
      expect((await store.readStream('counter-three')).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
    } finally {
      await other.close();
    }
  });

  it('makes a refusal again on the log, not on a fold that another store moved on: what the log allows is not refused', async () => {
    type Door = { type: 'Opened' | 'Closed'; data: Record<string, never> };
    const door: Decider<'open' | 'closed', { type: 'Open' | 'Close' }, Door, 'AlreadyClosed' | 'AlreadyOpen'> = {
      initialState: () => 'open',
      decide: (command, state) =>
        command.type === 'Close'
          ? state === 'closed' ? { outcome: 'rejected', rejection: 'AlreadyClosed' } : { outcome: 'accepted', events: [{ type: 'Closed', data: {} }] }
          : state === 'open' ? { outcome: 'rejected', rejection: 'AlreadyOpen' } : { outcome: 'accepted', events: [{ type: 'Opened', data: {} }] },
      evolve: (_state, event) => (event.type === 'Closed' ? 'closed' : 'open'),
    };
    const other = new SqliteEventStore(file);
    try {
      expect(await handleCommand(store, 'door-one', door, { type: 'Close' }, context)).toMatchObject({ outcome: 'accepted' });
      expect(await handleCommand(other, 'door-one', door, { type: 'Open' }, context)).toMatchObject({ outcome: 'accepted' });
      // This store last folded the door closed; the log has it open again.
      expect(await handleCommand(store, 'door-one', door, { type: 'Close' }, context, { maxAttempts: 1 })).toMatchObject({ outcome: 'accepted', state: 'closed' });
      expect((await store.readStream('door-one')).map((e) => e.type)).toEqual(['Closed', 'Opened', 'Closed']);
    } finally {
      await other.close();
    }
  });

  it('folds a stream with no events to the initial state at no revision', async () => {
    expect(await readFolded(store, 'counter-none', counter)).toEqual({ state: 0, revision: null });
  });
});
