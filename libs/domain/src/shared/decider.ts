/**
 * A decider is the whole behaviour of one aggregate as three pure functions:
 * `decide` turns a command and the current state into events (or a refusal),
 * `evolve` folds one event into the state, and `initialState` is where folding starts.
 */
export type Decider<State, Command, Event, Rejection> = {
  initialState: () => State;
  decide: (command: Command, state: State) => Decision<Event, Rejection>;
  evolve: (state: State, event: Event) => State;
};

/** Expected business refusals are values, not exceptions: the caller maps them to its protocol. */
export type Decision<Event, Rejection> =
  | { readonly outcome: 'accepted'; readonly events: readonly Event[] }
  | { readonly outcome: 'rejected'; readonly rejection: Rejection };

export const accept = <Event>(...events: Event[]): Decision<Event, never> => ({ outcome: 'accepted', events });

export const reject = <Rejection>(rejection: Rejection): Decision<never, Rejection> => ({
  outcome: 'rejected',
  rejection,
});

export const fold = <State, Event>(
  decider: Pick<Decider<State, unknown, Event, unknown>, 'initialState' | 'evolve'>,
  events: readonly Event[],
): State => events.reduce(decider.evolve, decider.initialState());

/** Exhaustiveness check for switches over discriminated unions. */
export const assertNever = (value: never): never => {
  throw new Error(`Unhandled variant: ${JSON.stringify(value)}`);
};
