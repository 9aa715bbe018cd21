import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import {
  currentPasswordHash,
  INVITATION_EVENTS,
  INVITATION_LIFETIME_MS,
  invitationDecider,
  InvitationState,
  invitationUsable,
  ROLE_PERMISSIONS,
  streamName,
  TENANCY_EVENTS,
  tenancyDecider,
  USER_PASSWORD_EVENTS,
  userPasswordDecider,
  withAuthority,
} from '@keyhold/domain';
import { generateSecret, hashPassword, parseSecret, SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { CommandRunner } from '../command-runner';
import { readState } from '@keyhold/application';
import { Problem } from '../http/problem';
import { RequestContext } from '../http/request-context';

/** An invitation as its command left it: the one time its code exists in clear. */
export type IssuedInvitation = { userId: string; code: string; expiresAt: string };

/** The invitation as the admin receives it: the link to the page where the invited user sets their password. */
export const invitationLink = (issuer: string, { userId, code, expiresAt }: IssuedInvitation) => ({ url: `${issuer}/invitations/${userId}/${code}`, expiresAt });

/** Issues (or re-issues, replacing the previous link) a user's invitation to set their first password. */
export class IssueInvitationCommand extends Command<IssuedInvitation> {
  constructor(
    readonly tenantId: string,
    readonly userId: string,
    readonly context: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(IssueInvitationCommand)
export class IssueInvitationHandler implements ICommandHandler<IssueInvitationCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async execute({ tenantId, userId, context }: IssueInvitationCommand): Promise<IssuedInvitation> {
    const tenant = (await readState(this.events, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS)).state;
    const user = tenant.status === 'active' ? tenant.users.get(userId) : undefined;
    if (!user) throw new Problem('not-found', 'User not found.');
    const code = generateSecret('invitationCode');
    const { hash, keyId } = this.hasher.hash(code);
    const now = new Date().toISOString();
    const expiresAt = new Date(Date.parse(now) + INVITATION_LIFETIME_MS).toISOString();
    await this.runner.run(
      streamName('invitation', userId),
      // Whoever holds the link becomes the user: handing it out needs everything the user's role holds.
      withAuthority(invitationDecider, context.caller, () => ROLE_PERMISSIONS[user.role]),
      { type: 'IssueInvitation', tenantId, userId, invitationId: randomUUID(), codeHash: hash, hashKeyId: keyId, now, expiresAt },
      { ...context, tenantId, now },
    );
    return { userId, code, expiresAt };
  }
}

type PendingInvitation = Extract<InvitationState, { status: 'pending' }> & { email: string };

/**
 * The invited user's side: the page shows whose invitation a code is, and accepting it sets
 * the user's first password. A wrong, replaced, used or expired code is one answer (410), so
 * the page tells a guesser nothing.
 */
@Injectable()
export class Invitations {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  /** The pending invitation this code opens, or a 410 problem. */
  async open(userId: string, code: string, now: string): Promise<PendingInvitation> {
    const gone = new Problem('invitation-invalid', 'This invitation link is not valid: it was used, replaced by a newer one or has expired. Ask an admin for a new one.');
    if (parseSecret(code) !== 'invitationCode') throw gone;
    const state = (await readState(this.events, streamName('invitation', userId), invitationDecider, INVITATION_EVENTS)).state;
    if (!invitationUsable(state, now)) throw gone;
    const stored = { hash: state.codeHash, keyId: state.hashKeyId };
    if (!this.hasher.candidateHashes(code).some((candidate) => SecretHasher.sameHash(candidate, stored))) throw gone;
    const tenant = (await readState(this.events, streamName('tenant', state.ids.tenantId), tenancyDecider, TENANCY_EVENTS)).state;
    const email = tenant.status === 'active' ? tenant.users.get(userId)?.email : undefined;
    if (!email) throw gone;
    return { ...state, email };
  }

  /** Sets the invited user's password and uses up the invitation; answers whose it was. */
  async accept(userId: string, code: string, password: string, context: RequestContext): Promise<{ tenantId: string; userId: string }> {
    const now = new Date().toISOString();
    const invitation = await this.open(userId, code, now);
    const { tenantId } = invitation.ids;
    const passwords = streamName('userPassword', userId);
    const current = (await readState(this.events, passwords, userPasswordDecider, USER_PASSWORD_EVENTS)).state;
    const commandContext = { ...context, actorId: userId, tenantId, now };
    await this.runner.run(
      passwords,
      userPasswordDecider,
      { type: 'SetUserPassword', tenantId, userId, passwordHash: await hashPassword(password), expectedCurrentHash: currentPasswordHash(current), now },
      commandContext,
    );
    await this.runner.run(streamName('invitation', userId), invitationDecider, { type: 'AcceptInvitation', invitationId: invitation.ids.invitationId, now }, commandContext);
    return { tenantId, userId };
  }
}
