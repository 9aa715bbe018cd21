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
import { EventStore } from '@keyhold/event-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';

/** An invitation as its command left it: the one time its code exists in clear. */
export type IssuedInvitation = { readonly userId: string; readonly code: string; readonly expiresAt: string };

export type IssueInvitationInput = { readonly tenantId: string; readonly userId: string; readonly context: RequestContext };

/** Issues (or re-issues, replacing the previous link) a user's invitation to set their first password. */
export class IssueInvitation {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ tenantId, userId, context }: IssueInvitationInput): Promise<IssuedInvitation> {
    const { state: tenant } = await readState(this.events, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS);
    const user = tenant.status === 'active' ? tenant.users.get(userId) : undefined;
    if (!user) throw ApplicationError.notFound('User not found.');
    const code = generateSecret('invitationCode');
    const { hash, keyId } = this.hasher.hash(code);
    const now = new Date().toISOString();
    const expiresAt = new Date(Date.parse(now) + INVITATION_LIFETIME_MS).toISOString();
    await this.commands.run(
      streamName('invitation', userId),
      // Whoever holds the link becomes the user: handing it out needs everything the user's role holds.
      withAuthority(invitationDecider, context.caller, () => ROLE_PERMISSIONS[user.role]),
      { type: 'IssueInvitation', tenantId, userId, invitationId: randomUUID(), codeHash: hash, hashKeyId: keyId, now, expiresAt },
      { ...context, tenantId, now },
    );
    return { userId, code, expiresAt };
  }
}

export type PendingInvitation = Extract<InvitationState, { status: 'pending' }> & { readonly email: string };

/**
 * The invited user's side: the page shows whose invitation a code is, and accepting it sets
 * the user's first password. A wrong, replaced, used or expired code is one answer, so the page
 * tells a guesser nothing.
 */
export class Invitations {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly hasher: SecretHasher,
  ) {}

  /** The pending invitation this code opens; refused alike however it is not valid. */
  async open(userId: string, code: string, now: string): Promise<PendingInvitation> {
    const gone = ApplicationError.rejected({
      code: 'InvitationNotFound',
      message: 'This invitation link is not valid: it was used, replaced by a newer one or has expired. Ask an admin for a new one.',
    });
    if (parseSecret(code) !== 'invitationCode') throw gone;
    const { state } = await readState(this.events, streamName('invitation', userId), invitationDecider, INVITATION_EVENTS);
    if (!invitationUsable(state, now)) throw gone;
    const stored = { hash: state.codeHash, keyId: state.hashKeyId };
    if (!this.hasher.candidateHashes(code).some((candidate) => SecretHasher.sameHash(candidate, stored))) throw gone;
    const { state: tenant } = await readState(this.events, streamName('tenant', state.ids.tenantId), tenancyDecider, TENANCY_EVENTS);
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
    const { state: current } = await readState(this.events, passwords, userPasswordDecider, USER_PASSWORD_EVENTS);
    const commandContext = { ...context, actorId: userId, tenantId, now };
    await this.commands.run(
      passwords,
      userPasswordDecider,
      { type: 'SetUserPassword', tenantId, userId, passwordHash: await hashPassword(password), expectedCurrentHash: currentPasswordHash(current), now },
      commandContext,
    );
    await this.commands.run(streamName('invitation', userId), invitationDecider, { type: 'AcceptInvitation', invitationId: invitation.ids.invitationId, now }, commandContext);
    return { tenantId, userId };
  }
}
