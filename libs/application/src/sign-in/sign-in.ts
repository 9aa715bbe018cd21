import { Logger } from 'pino';
import { Caller, ROLE_PERMISSIONS, streamName, TENANCY_EVENTS, tenancyDecider, TENANT_SLUG_PATTERN, tenantIdForSlug, USER_PASSWORD_EVENTS, userPasswordDecider } from '@keyhold/domain';
import { hashPassword, verifyPassword } from '@keyhold/crypto';
import { EventStore } from '@keyhold/event-store';
import { ApplicationError } from '../application-error';
import { RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { PasswordAttempts } from '../users/password-attempts';

export type SignInRequest = { organisation: string; email: string; password: string };

/** A hash of nothing anyone knows, checked when there is no user, so that a miss costs what a wrong password costs. */
let decoyHash: Promise<string> | null = null;

/**
 * Checks an e-mail and password within the organisation (tenant slug) the person named. Every
 * failure is one answer, throttled per user (the same five-per-quarter-hour budget as password
 * confirmation) or per organisation and e-mail when there is no such user, and written to the
 * log as an audit entry (`audit: "sign-in-refused"`, with the reason; never the password).
 */
export class SignIn {
  constructor(
    private readonly events: EventStore,
    private readonly attempts: PasswordAttempts,
    private readonly logger: Logger,
  ) {}

  async check({ organisation, email, password }: SignInRequest, context: RequestContext): Promise<{ tenantId: string; userId: string }> {
    const slug = organisation.trim().toLowerCase();
    return this.checkInTenant(TENANT_SLUG_PATTERN.test(slug) ? tenantIdForSlug(slug) : null, slug, email, password, context);
  }

  /**
   * A signed-in user as the caller of what they ask on their account page: what their role holds
   * now, as the log has it; nothing once they are no longer a user of the tenant.
   */
  async callerOf(tenantId: string, userId: string): Promise<Caller> {
    const tenant = (await readState(this.events, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS)).state;
    const user = tenant.status === 'active' ? tenant.users.get(userId) : undefined;
    return { kind: 'user', permissions: user ? ROLE_PERMISSIONS[user.role] : new Set() };
  }

  /** The same check within a known tenant (an OAuth client's, for the password grant); `label` names it when it does not exist. */
  async checkInTenant(tenantId: string | null, label: string, email: string, password: string, context: RequestContext): Promise<{ tenantId: string; userId: string }> {
    const tenant = tenantId ? (await readState(this.events, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS)).state : null;
    const wanted = email.trim().toLowerCase();
    const userId = tenant?.status === 'active' ? tenant.users.findKey((user) => user.email.toLowerCase() === wanted) : undefined;
    const throttleKey = userId ?? `${tenantId ?? label}:${wanted}`;
    const refuse = (reason: string) => {
      this.logger.warn({ audit: 'sign-in-refused', reason, tenantId, userId: userId ?? null, requestId: context.causationId }, 'Sign-in refused');
      return ApplicationError.rejected({ code: 'SignInFailed', message: 'The organisation, e-mail or password is not correct.' });
    };
    // Counted before the password is checked, so parallel guesses cannot all reach scrypt.
    const retryAfterSeconds = this.attempts.begin(throttleKey);
    if (retryAfterSeconds > 0) {
      this.logger.warn({ audit: 'sign-in-refused', reason: 'throttled', tenantId, userId: userId ?? null, requestId: context.causationId }, 'Sign-in refused');
      throw new ApplicationError({ kind: 'rate-limited', message: `Too many failed sign-ins; try again in ${retryAfterSeconds} s.`, retryAfterSeconds });
    }
    const passwordState = userId ? (await readState(this.events, streamName('userPassword', userId), userPasswordDecider, USER_PASSWORD_EVENTS)).state : null;
    if (!tenantId || !userId || passwordState?.status !== 'set') {
      await verifyPassword(password, await (decoyHash ??= hashPassword('keyhold decoy: no such user')));
      throw refuse(!userId ? 'unknown-user' : 'no-password');
    }
    if (!(await verifyPassword(password, passwordState.passwordHash))) throw refuse('wrong-password');
    this.attempts.succeeded(throttleKey);
    this.logger.info({ audit: 'signed-in', tenantId, userId, requestId: context.causationId }, 'Signed in');
    return { tenantId, userId };
  }
}
