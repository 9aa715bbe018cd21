import { fold } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';

/** A stream's current state, folded with its decider: what a use case reads before it decides, or answers from. */
export const readFolded = async <State, Event>(
  events: EventStore,
  stream: string,
  decider: { initialState: () => State; evolve: (state: State, event: Event) => State },
): Promise<State> => fold(decider, (await events.readStream(stream)).map(({ type, data }) => ({ type, data }) as Event));
