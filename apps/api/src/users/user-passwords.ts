import { Inject, Injectable } from '@nestjs/common';
import { streamName, USER_PASSWORD_EVENTS, userPasswordDecider, UserPasswordState } from '@keyhold/domain';
import { hashPassword, verifyPassword } from '@keyhold/crypto';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { CommandRunner } from '../command-runner';
import { readState } from '@keyhold/application';
import { Problem } from '../http/problem';
import { RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { PasswordAttempts } from './password-attempts';

const passwordStream = (userId: string) => streamName('userPassword', userId);

const userOf = (principal: Principal): string => {
  if (principal.actor.kind !== 'user') throw new Problem('forbidden', 'Only users have passwords.');
  return principal.actor.id;
};

/**
 * Users' passwords: set with a read_write personal token (and the current password once there
 * is one), confirmed before sensitive operations. Only the scrypt hash is stored, in the user's
 * password stream; it never reaches a read model, a log line or a published message.
 */
@Injectable()
export class UserPasswords {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly attempts: PasswordAttempts,
  ) {}

  async set(principal: Principal, currentPassword: string | undefined, newPassword: string, context: RequestContext): Promise<{ setAt: string }> {
    const userId = userOf(principal);
    if (principal.credential.kind !== 'personalApiToken' || principal.scope !== 'read_write') {
      throw new Problem('forbidden', 'Setting a password needs a read_write personal API token.');
    }
    const state = await this.state(principal.tenantId, userId);
    if (state.status === 'set') {
      if (currentPassword === undefined) {
        throw new Problem('validation-error', 'currentPassword is required to change a password that is set.', {
          errors: [{ field: 'currentPassword', messages: ['currentPassword is required to change a password that is set'] }],
        });
      }
      await this.check(userId, currentPassword, state.passwordHash);
    }
    const now = new Date().toISOString();
    await this.runner.run(
      passwordStream(userId),
      userPasswordDecider,
      {
        type: 'SetUserPassword',
        tenantId: principal.tenantId,
        userId,
        passwordHash: await hashPassword(newPassword),
        expectedCurrentHash: state.status === 'set' ? state.passwordHash : null,
        now,
      },
      { ...context, tenantId: principal.tenantId, now },
    );
    return { setAt: now };
  }

  /** The principal's user confirms who they are; refused (and throttled) unless the password matches. */
  async confirm(principal: Principal, password: string): Promise<void> {
    const userId = userOf(principal);
    const state = await this.state(principal.tenantId, userId);
    if (state.status !== 'set') {
      throw new Problem('password-not-set', 'Confirming needs your password, and you have none yet: set one with PUT /v1/me/password.');
    }
    await this.check(userId, password, state.passwordHash);
  }

  private async check(userId: string, password: string, passwordHash: string): Promise<void> {
    const retryAfter = this.attempts.begin(userId);
    if (retryAfter > 0) {
      throw new Problem('rate-limited', `Too many wrong passwords; try again in ${retryAfter} s.`, { retryAfterSeconds: retryAfter });
    }
    if (!(await verifyPassword(password, passwordHash))) {
      throw new Problem('password-incorrect', 'The password is not correct.');
    }
    this.attempts.succeeded(userId);
  }

  private async state(tenantId: string, userId: string): Promise<UserPasswordState> {
    const state = (await readState(this.events, passwordStream(userId), userPasswordDecider, USER_PASSWORD_EVENTS)).state;
    // A stream of another tenant's user cannot be reached with this tenant's principal; belt and braces.
    return state.status === 'set' && state.tenantId !== tenantId ? { status: 'unset' } : state;
  }
}
