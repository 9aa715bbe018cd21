import { Decider, Decision, fold } from '../shared/decider';

/** The `code` of a rejection union, so that `thenRejects` only accepts codes the decider knows. */
type RejectionCode<R> = R extends { readonly code: infer Code } ? Code : never;

/**
 * Given/when/then for deciders: fold the given events from `initialState` with `evolve`,
 * `decide` the command, and assert on the decision.
 *
 *   deciderSpec(tenancyDecider).given([tenantCreated]).when(addUser).then([userAdded]);
 */
export const deciderSpec = <State, Command, Event, Rejection>(
  decider: Decider<State, Command, Event, Rejection>,
) => ({
  given: (events: readonly Event[]) => ({
    when: (command: Command) => {
      const decide = (): Decision<Event, Rejection> => decider.decide(command, fold(decider, events));
      return {
        /** Accepted with exactly these events, in this order. */
        then: (expected: readonly Event[]): void => {
          const decision = decide();
          expect(decision).toStrictEqual({ outcome: 'accepted', events: expected });
          // What was decided must also be foldable: evolve must accept the new events.
          expect(() => fold(decider, [...events, ...expected])).not.toThrow();
        },
        /** Rejected with this code (and some human-readable message). */
        thenRejects: (code: RejectionCode<Rejection>): void => {
          expect(decide()).toStrictEqual({
            outcome: 'rejected',
            rejection: { code, message: expect.any(String) },
          });
        },
        /** Accepted, but nothing happened: an idempotent no-op. */
        thenNothing: (): void => {
          expect(decide()).toStrictEqual({ outcome: 'accepted', events: [] });
        },
      };
    },
  }),
});
