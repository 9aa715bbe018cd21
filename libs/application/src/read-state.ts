import { Decider, DomainEventShape, EventFamily } from '@keyhold/domain';
import { EventStore, FoldedStream, readFolded } from '@keyhold/event-store';

/** A stream's state and the revision it was folded at (null: no stream), what an ETag names. */
export type ReadState<State> = FoldedStream<State>;

/**
 * Reads one stream typed (through its event family, no cast) and folds it with its decider: what
 * a use case reads before it decides or answers, and the revision a caller may later expect. It
 * folds on from this process's last fold of the stream (`readFolded`), reading only what came since.
 */
export const readState = <State, Event extends DomainEventShape>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<State, never, Event, unknown>, 'initialState' | 'evolve'>,
  family: EventFamily<Event>,
): Promise<ReadState<State>> => readFolded(store, stream, decider, (recorded) => family.pick(recorded));
