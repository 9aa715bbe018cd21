import { streamName, USER_PASSWORD_EVENTS, userPasswordDecider, UserPasswordState } from '@keyhold/domain';
import { hashPassword, verifyPassword } from '@keyhold/crypto';
import { EventStore } from '@keyhold/event-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { CredentialHolder, userOf } from '../credential-holder';
import { readState } from '../read-state';
import { PasswordAttempts } from './password-attempts';

/**
 * Users' passwords: set with a read_write personal token (and the current password once there
 * is one), confirmed before sensitive operations. Only the scrypt hash is stored, in the user's
 * password stream; it never reaches a read model, a log line or a published message.
 */
const passwordStream = (userId: string) => streamName('userPassword', userId);

const passwordStateOf = async (events: EventStore, tenantId: string, userId: string): Promise<UserPasswordState> => {
  const { state } = await readState(events, passwordStream(userId), userPasswordDecider, USER_PASSWORD_EVENTS);
  // A stream of another tenant's user cannot be reached with this tenant's credential; belt and braces.
  return state.status === 'set' && state.tenantId !== tenantId ? { status: 'unset' } : state;
};

/** Refused (and throttled, per user on this node) unless `password` is the one whose hash is stored. */
const checkPassword = async (attempts: PasswordAttempts, userId: string, password: string, passwordHash: string): Promise<void> => {
  const retryAfterSeconds = attempts.begin(userId);
  if (retryAfterSeconds > 0) {
    throw new ApplicationError({ kind: 'rate-limited', message: `Too many wrong passwords; try again in ${retryAfterSeconds} s.`, retryAfterSeconds });
  }
  if (!(await verifyPassword(password, passwordHash))) {
    throw ApplicationError.rejected({ code: 'PasswordIncorrect', message: 'The password is not correct.' });
  }
  attempts.succeeded(userId);
};

export type SetPasswordInput = {
  readonly holder: CredentialHolder;
  /** Required once a password is set. */
  readonly currentPassword: string | undefined;
  readonly newPassword: string;
  readonly context: RequestContext;
};

/** Sets the credential's user's own password. */
export class SetUserPassword {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly attempts: PasswordAttempts,
  ) {}

  async execute({ holder, currentPassword, newPassword, context }: SetPasswordInput): Promise<{ setAt: string }> {
    const userId = userOf(holder, 'have passwords');
    if (holder.credential.kind !== 'personalApiToken' || holder.scope !== 'read_write') {
      throw ApplicationError.forbidden('Setting a password needs a read_write personal API token.');
    }
    const state = await passwordStateOf(this.events, holder.tenantId, userId);
    if (state.status === 'set') {
      if (currentPassword === undefined) throw ApplicationError.invalid('currentPassword is required to change a password that is set.', 'currentPassword');
      await checkPassword(this.attempts, userId, currentPassword, state.passwordHash);
    }
    const now = new Date().toISOString();
    await this.commands.run(
      passwordStream(userId),
      userPasswordDecider,
      {
        type: 'SetUserPassword',
        tenantId: holder.tenantId,
        userId,
        passwordHash: await hashPassword(newPassword),
        expectedCurrentHash: state.status === 'set' ? state.passwordHash : null,
        now,
      },
      { ...context, tenantId: holder.tenantId, now },
    );
    return { setAt: now };
  }
}

/** The credential's user confirms who they are before a sensitive operation. */
export class ConfirmUserPassword {
  constructor(
    private readonly events: EventStore,
    private readonly attempts: PasswordAttempts,
  ) {}

  async execute({ holder, password }: { readonly holder: CredentialHolder; readonly password: string }): Promise<void> {
    const userId = userOf(holder, 'have passwords');
    const state = await passwordStateOf(this.events, holder.tenantId, userId);
    if (state.status !== 'set') {
      throw ApplicationError.rejected({ code: 'PasswordNotSet', message: 'Confirming needs your password, and you have none yet: set one with PUT /v1/me/password.' });
    }
    await checkPassword(this.attempts, userId, password, state.passwordHash);
  }
}
