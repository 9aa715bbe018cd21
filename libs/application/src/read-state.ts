import { Decider, DomainEventShape, EventFamily, fold } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';

/** A stream's state and the revision it was folded at (null: no stream), what an ETag names. */
export type ReadState<State> = { readonly state: State; readonly revision: number | null };

/**
 * Reads one stream typed (through its event family, no cast) and folds it with its decider: what
 * a use case reads before it decides or answers, and the revision a caller may later expect.
 */
export const readState = async <State, Event extends DomainEventShape>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<State, never, Event, unknown>, 'initialState' | 'evolve'>,
  family: EventFamily<Event>,
): Promise<ReadState<State>> => {
  const recorded = await store.readStream(stream);
  return { state: fold(decider, family.pick(recorded)), revision: recorded.length === 0 ? null : recorded[recorded.length - 1].streamRevision };
};
