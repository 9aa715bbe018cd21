import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';

/**
 * A user's invitation to set their first password, in a stream per user (`invitation-<user id>`).
 * The link carries a one-time code; only its keyed hash is stored. Re-issuing replaces the code
 * (the older link stops working); accepting is possible once, before the code expires.
 */
export const INVITATION_LIFETIME_MS = 72 * 60 * 60 * 1000;

type Ids = { tenantId: string; userId: string; invitationId: string };

export type InvitationIssued = {
  type: 'InvitationIssued';
  data: Ids & { codeHash: string; hashKeyId: string; issuedAt: string; expiresAt: string };
};
export type InvitationAccepted = { type: 'InvitationAccepted'; data: Ids & { acceptedAt: string } };
export type InvitationEvent = InvitationIssued | InvitationAccepted;

export type IssueInvitation = Ids & { type: 'IssueInvitation'; codeHash: string; hashKeyId: string; now: string; expiresAt: string };
/** The caller has checked the presented code against `invitationId`'s hash (hashing is keyed, not pure). */
export type AcceptInvitation = { type: 'AcceptInvitation'; invitationId: string; now: string };
export type InvitationCommand = IssueInvitation | AcceptInvitation;

export type InvitationRejection = Rejection<'InvitationNotFound' | 'InvitationExpired' | 'InvitationAlreadyAccepted'>;

export type InvitationState =
  | { readonly status: 'none' }
  | { readonly status: 'pending'; readonly ids: Ids; readonly codeHash: string; readonly hashKeyId: string; readonly expiresAt: string }
  | { readonly status: 'accepted'; readonly ids: Ids };

/** Whether a code may still be redeemed at `now`: pending and not yet expired. */
export const invitationUsable = (state: InvitationState, now: string): state is Extract<InvitationState, { status: 'pending' }> =>
  state.status === 'pending' && now < state.expiresAt;

const decide = (command: InvitationCommand, state: InvitationState) => {
  switch (command.type) {
    case 'IssueInvitation': {
      if (state.status === 'accepted') {
        return reject<InvitationRejection>({ code: 'InvitationAlreadyAccepted', message: 'The user has already accepted an invitation and set a password.' });
      }
      const { type: _type, now, ...data } = command;
      return accept<InvitationEvent>({ type: 'InvitationIssued', data: { ...data, issuedAt: now } });
    }
    case 'AcceptInvitation': {
      if (state.status === 'accepted') {
        return reject<InvitationRejection>({ code: 'InvitationAlreadyAccepted', message: 'This invitation has already been used.' });
      }
      if (state.status === 'none' || state.ids.invitationId !== command.invitationId) {
        return reject<InvitationRejection>({ code: 'InvitationNotFound', message: 'This invitation link is not valid (an admin may have issued a newer one).' });
      }
      if (!invitationUsable(state, command.now)) {
        return reject<InvitationRejection>({ code: 'InvitationExpired', message: 'This invitation link has expired; ask an admin for a new one.' });
      }
      return accept<InvitationEvent>({ type: 'InvitationAccepted', data: { ...state.ids, acceptedAt: command.now } });
    }
    default:
      return assertNever(command);
  }
};

const evolve = (state: InvitationState, event: InvitationEvent): InvitationState => {
  switch (event.type) {
    case 'InvitationIssued': {
      const { tenantId, userId, invitationId, codeHash, hashKeyId, expiresAt } = event.data;
      return { status: 'pending', ids: { tenantId, userId, invitationId }, codeHash, hashKeyId, expiresAt };
    }
    case 'InvitationAccepted':
      return state.status === 'pending' ? { status: 'accepted', ids: state.ids } : state;
    default:
      return assertNever(event);
  }
};

export const invitationDecider: Decider<InvitationState, InvitationCommand, InvitationEvent, InvitationRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
