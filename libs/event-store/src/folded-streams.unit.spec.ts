import { EventStore, RecordedEvent } from './event-store.port';
import { Folder, FOLDED_EVENTS_PER_DECIDER, readFolded } from './folded-streams';

type Counted = { type: 'Counted'; data: Record<string, never> };
const counter: Folder<number, Counted> = { initialState: () => 0, evolve: (count) => count + 1 };

const EVENTS_PER_STREAM = 50;

/** A log of `streams` streams of EVENTS_PER_STREAM events each, counting the reads that fold a stream from its start. */
const logOf = (streams: number) => {
  const events = Array.from({ length: EVENTS_PER_STREAM }, (_, revision) => ({ type: 'Counted', data: {}, streamRevision: revision }) as unknown as RecordedEvent);
  const reads = { fromStart: 0 };
  const store = {
    readStream: async (_streamName: string, afterRevision?: number) => {
      if (afterRevision === undefined) reads.fromStart += 1;
      return events.slice(afterRevision === undefined ? 0 : afterRevision + 1);
    },
  } as unknown as EventStore;
  const names = Array.from({ length: streams }, (_, n) => `counted-${n}`);
  return { store, names, reads };
};

/** Reads every stream in turn, `rounds` times after a first round; answers the folds from the start per read of those rounds. */
const foldsPerReadInRoundRobin = async (streams: number, rounds: number) => {
  const { store, names, reads } = logOf(streams);
  for (const name of names) expect(await readFolded(store, name, counter)).toEqual({ state: EVENTS_PER_STREAM, revision: EVENTS_PER_STREAM - 1 });
  reads.fromStart = 0;
  for (let round = 0; round < rounds; round += 1) {
    for (const name of names) expect((await readFolded(store, name, counter)).state).toBe(EVENTS_PER_STREAM);
  }
  return reads.fromStart / (streams * rounds);
};

describe('the folded streams of a decider', () => {
  it('folds each stream once when the round robin fits the budget', async () => {
    expect(await foldsPerReadInRoundRobin(Math.floor((0.9 * FOLDED_EVENTS_PER_DECIDER) / EVENTS_PER_STREAM), 2)).toBe(0);
  });

  // A round robin over owners (workload 3 over 3,000 members, each stream growing with every
  // token) evicted, least recently used first, the very state read next: every command folded
  // its stream from the start once the owners' events passed the budget.
  it('keeps most states of a round robin a little over the budget, instead of folding every stream again', async () => {
    expect(await foldsPerReadInRoundRobin(Math.ceil((1.2 * FOLDED_EVENTS_PER_DECIDER) / EVENTS_PER_STREAM), 3)).toBeLessThan(0.5);
  });
});
