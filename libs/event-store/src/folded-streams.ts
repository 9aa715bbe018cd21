import { Decider } from '@keyhold/domain';
import { EventStore, RecordedEvent } from './event-store.port';

/** A stream's state folded up to `revision`, its last event's; `null` for a stream with no events yet. */
export type FoldedStream<State> = { readonly state: State; readonly revision: number | null };

export type Folder<State, Event> = Pick<Decider<State, unknown, Event, unknown>, 'initialState' | 'evolve'>;

/**
 * How many events the cached states of one decider may stand for, per store: a state costs about
 * what its events would (a personal-tokens state about 330 bytes per token, an eighth more since
 * its tokens are a persistent map), and a stream over the budget is folded again from the log when asked.
 */
export const FOLDED_EVENTS_PER_DECIDER = 100_000;

/** A state weighs the events folded into it. */
const weightOf = ({ revision }: FoldedStream<unknown>) => (revision ?? 0) + 1;

/**
 * States within an event budget, evicting a random one to make room. Least recently used first
 * evicted, under a round robin over more streams than fit (commands from many owners in turn),
 * the very state asked for next: every command folded its stream from the start. A random victim
 * keeps most of such a round robin a little over the budget and costs O(1), where a
 * recency order costs a list update per read.
 */
class FoldedStates {
  private readonly entries = new Map<string, { stream: FoldedStream<unknown>; slot: number }>();
  /** The cached streams' names, densely, so that a random one is an index. */
  private readonly names: string[] = [];
  private events = 0;

  get(streamName: string): FoldedStream<unknown> | undefined {
    return this.entries.get(streamName)?.stream;
  }

  set(streamName: string, stream: FoldedStream<unknown>): void {
    this.delete(streamName);
    const weight = weightOf(stream);
    if (weight > FOLDED_EVENTS_PER_DECIDER) return;
    while (this.events + weight > FOLDED_EVENTS_PER_DECIDER) this.delete(this.names[Math.floor(Math.random() * this.names.length)]);
    this.entries.set(streamName, { stream, slot: this.names.length });
    this.names.push(streamName);
    this.events += weight;
  }

  private delete(streamName: string): void {
    const entry = this.entries.get(streamName);
    if (!entry) return;
    this.entries.delete(streamName);
    const last = this.names.pop() as string;
    if (last !== streamName) {
      this.names[entry.slot] = last;
      (this.entries.get(last) as { slot: number }).slot = entry.slot;
    }
    this.events -= weightOf(entry.stream);
  }
}

/** Per store (a log), per decider (its `evolve`): what each recently read stream folded to. */
const folded = new WeakMap<EventStore, WeakMap<object, FoldedStates>>();

const cacheOf = (store: EventStore, evolve: object): FoldedStates => {
  let byDecider = folded.get(store);
  if (!byDecider) folded.set(store, (byDecider = new WeakMap()));
  let cached = byDecider.get(evolve);
  if (!cached) byDecider.set(evolve, (cached = new FoldedStates()));
  return cached;
};

/**
 * A stream's current state, read from the log and folded: from the state this process last saw
 * of it, reading only the events after that one's revision. The log is append-only and an append
 * names the revision it was decided on, so a state cached at revision r plus the events after r
 * is the state now, whoever appended them (another process too); a command decided on a state
 * that another writer moved past meanwhile fails its append and reads again. Deciders' `evolve`
 * must not mutate the state it is given (none does: states are values), since cached states are shared.
 */
export const readFolded = async <State, Event>(
  store: EventStore,
  streamName: string,
  decider: Folder<State, Event>,
  /** The stream's events as the decider's: a typed reader passes its event family's `pick`. */
  eventsOf: (recorded: readonly RecordedEvent[]) => readonly Event[] = (recorded) => recorded.map(({ type, data }) => ({ type, data }) as Event),
): Promise<FoldedStream<State>> => {
  const cached = cacheOf(store, decider.evolve);
  const known = cached.get(streamName) as FoldedStream<State> | undefined;
  const recorded = await store.readStream(streamName, known?.revision ?? undefined);
  if (recorded.length === 0) return known ?? { state: decider.initialState(), revision: null };
  const state = eventsOf(recorded).reduce(decider.evolve, known?.state ?? decider.initialState());
  const current = { state, revision: recorded[recorded.length - 1].streamRevision };
  rememberFolded(store, streamName, decider, current);
  return current;
};

/**
 * This process's last fold of a stream, without asking the log whether it moved on since: only
 * for a decision whose append names that revision, which proves it current or fails.
 */
export const lastFolded = <State, Event>(store: EventStore, streamName: string, decider: Folder<State, Event>): FoldedStream<State> | undefined =>
  cacheOf(store, decider.evolve).get(streamName) as FoldedStream<State> | undefined;

/** Records a state the caller folded itself (a command's, right after its append), unless a later one is known. */
export const rememberFolded = <State, Event>(store: EventStore, streamName: string, decider: Folder<State, Event>, stream: FoldedStream<State>): void => {
  if (stream.revision === null) return;
  const cached = cacheOf(store, decider.evolve);
  const known = cached.get(streamName);
  if (known && (known.revision ?? -1) >= stream.revision) return;
  cached.set(streamName, stream);
};
