import { Decider, reject } from './decider';
import { Permission, PERMISSIONS } from './permissions';
import { Rejection } from './rejection';

/**
 * The one rule of Keyhold's authority: an operation that mints, hands out or widens a
 * credential or a right succeeds only if the caller holds every permission that the credential
 * has or would gain. Each aggregate says, once, what a command's credential has or would gain
 * (its `AuthorityNeeds`); `withAuthority` puts the rule in front of its decider, so that it is
 * checked against the very state the command is decided on, inside the same optimistic append.
 */

/** Who asks, as far as authority goes: what kind of principal, and the permissions it holds right now. */
export type CallerKind = 'user' | 'service_account' | 'api_client' | 'integration' | 'operator' | 'anonymous';
export type Caller = { readonly kind: CallerKind; readonly permissions: ReadonlySet<Permission> };

/** The operator at the command line (bootstrap): whoever runs it already holds the data and the keys. */
export const OPERATOR: Caller = { kind: 'operator', permissions: new Set(Object.keys(PERMISSIONS) as Permission[]) };

export type AuthorityExceeded = Rejection<'AuthorityExceeded'> & { readonly missing: readonly Permission[] };

/** The permissions a command's credential has or would gain; none for commands that only narrow or read. */
export type AuthorityNeeds<State, Command> = (command: Command, state: State) => Iterable<Permission>;

/** The caller's refusal naming the permissions it lacks, or null when it holds all of `needed`. */
export const exceededAuthority = (held: ReadonlySet<Permission>, needed: Iterable<Permission>): AuthorityExceeded | null => {
  const missing = [...new Set(needed)].filter((permission) => !held.has(permission)).sort();
  if (missing.length === 0) return null;
  return {
    code: 'AuthorityExceeded',
    message: `This would give a credential ${missing.map((p) => `'${p}'`).join(', ')}, which the caller does not hold itself.`,
    missing,
  };
};

/** `decider`, refusing any command whose credential would have more than `caller` holds. */
export const withAuthority = <State, Command, Event, Refusal>(
  decider: Decider<State, Command, Event, Refusal>,
  caller: Caller,
  needs: AuthorityNeeds<State, Command>,
): Decider<State, Command, Event, Refusal | AuthorityExceeded> => ({
  ...decider,
  decide: (command, state) => {
    const exceeded = exceededAuthority(caller.permissions, needs(command, state));
    return exceeded ? reject(exceeded) : decider.decide(command, state);
  },
});
