import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';

/**
 * A user's password, in a stream per user (`userPassword-<user id>`). Only a slow salted hash is
 * stored (scrypt, computed by the caller: hashing is neither cheap nor pure). The hash is not a
 * secret in clear, but it is kept out of read models, logs and published messages all the same:
 * it would let anyone who holds it guess offline.
 */
export type UserPasswordSet = {
  type: 'UserPasswordSet';
  data: { tenantId: string; userId: string; passwordHash: string; setAt: string };
};
export type UserPasswordEvent = UserPasswordSet;

export type SetUserPassword = {
  type: 'SetUserPassword';
  tenantId: string;
  userId: string;
  passwordHash: string;
  /**
   * The hash the caller checked the current password against (null: there was none). If it
   * changed meanwhile, another request set a password in between: refused, not overwritten.
   */
  expectedCurrentHash: string | null;
  now: string;
};
export type UserPasswordCommand = SetUserPassword;

/**
 * PasswordIncorrect and PasswordNotSet are the refusals of checking a password (scrypt, in the
 * application layer) rather than of deciding a command: refusals of this aggregate all the same.
 */
export type UserPasswordRejection = Rejection<'PasswordChangedConcurrently' | 'PasswordIncorrect' | 'PasswordNotSet'>;

export type UserPasswordState =
  | { readonly status: 'unset' }
  | { readonly status: 'set'; readonly tenantId: string; readonly userId: string; readonly passwordHash: string; readonly setAt: string };

export const currentPasswordHash = (state: UserPasswordState): string | null => (state.status === 'set' ? state.passwordHash : null);

const decide = (command: UserPasswordCommand, state: UserPasswordState) => {
  switch (command.type) {
    case 'SetUserPassword':
      if (currentPasswordHash(state) !== command.expectedCurrentHash) {
        return reject<UserPasswordRejection>({
          code: 'PasswordChangedConcurrently',
          message: 'The password was changed by another request meanwhile; try again with the new one.',
        });
      }
      return accept<UserPasswordEvent>({
        type: 'UserPasswordSet',
        data: { tenantId: command.tenantId, userId: command.userId, passwordHash: command.passwordHash, setAt: command.now },
      });
    default:
      return assertNever(command.type);
  }
};

const evolve = (_state: UserPasswordState, event: UserPasswordEvent): UserPasswordState => {
  switch (event.type) {
    case 'UserPasswordSet':
      return { status: 'set', ...event.data };
    default:
      return assertNever(event.type);
  }
};

export const userPasswordDecider: Decider<UserPasswordState, UserPasswordCommand, UserPasswordEvent, UserPasswordRejection> = {
  initialState: () => ({ status: 'unset' }),
  decide,
  evolve,
};
