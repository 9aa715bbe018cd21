import { deciderSpec } from '../testing/decider-spec';
import { InvitationAccepted, invitationDecider, InvitationIssued, IssueInvitation } from './invitations';
import { SESSION_ABSOLUTE_MS, SESSION_ACTIVITY_GRANULARITY_MS, SESSION_IDLE_MS, sessionDecider, SessionEnded, SessionEvent, SessionStarted, sessionLive, StartSession } from './sessions';
import { fold } from '../shared/decider';

const T0 = '2026-01-01T09:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const ids = { tenantId: 'tenant-1', userId: 'user-1' };

describe('invitations', () => {
  const issue = (invitationId: string, now = T0): IssueInvitation => ({
    type: 'IssueInvitation',
    ...ids,
    invitationId,
    codeHash: `hash-${invitationId}`,
    hashKeyId: 'k1',
    now,
    expiresAt: at(72 * 3600_000),
  });
  const issued = (invitationId: string): InvitationIssued => ({
    type: 'InvitationIssued',
    data: { ...ids, invitationId, codeHash: `hash-${invitationId}`, hashKeyId: 'k1', issuedAt: T0, expiresAt: at(72 * 3600_000) },
  });
  const accepted: InvitationAccepted = { type: 'InvitationAccepted', data: { ...ids, invitationId: 'inv-1', acceptedAt: at(1000) } };
  const spec = deciderSpec(invitationDecider);

  it('issues, and re-issues replacing the previous code', () => {
    spec.given([]).when(issue('inv-1')).then([issued('inv-1')]);
    spec.given([issued('inv-1')]).when(issue('inv-2')).then([issued('inv-2')]);
  });

  it('accepts the current invitation once, before it expires', () => {
    spec.given([issued('inv-1')]).when({ type: 'AcceptInvitation', invitationId: 'inv-1', now: at(1000) }).then([accepted]);
    spec.given([issued('inv-1'), accepted]).when({ type: 'AcceptInvitation', invitationId: 'inv-1', now: at(2000) }).thenRejects('InvitationAlreadyAccepted');
    spec.given([issued('inv-1')]).when({ type: 'AcceptInvitation', invitationId: 'inv-1', now: at(72 * 3600_000) }).thenRejects('InvitationExpired');
  });

  it('refuses a replaced or unknown invitation, and re-issuing once accepted', () => {
    spec.given([issued('inv-1'), issued('inv-2')]).when({ type: 'AcceptInvitation', invitationId: 'inv-1', now: at(1000) }).thenRejects('InvitationNotFound');
    spec.given([]).when({ type: 'AcceptInvitation', invitationId: 'inv-1', now: at(1000) }).thenRejects('InvitationNotFound');
    spec.given([issued('inv-1'), accepted]).when(issue('inv-3')).thenRejects('InvitationAlreadyAccepted');
  });
});

describe('sessions', () => {
  const session = { ...ids, sessionId: 'session-1' };
  const start: StartSession = { type: 'StartSession', ...session, secretHash: 'h', hashKeyId: 'k1', now: T0 };
  const started: SessionStarted = {
    type: 'SessionStarted',
    data: { ...session, secretHash: 'h', hashKeyId: 'k1', startedAt: T0, idleExpiresAt: at(SESSION_IDLE_MS), absoluteExpiresAt: at(SESSION_ABSOLUTE_MS) },
  };
  const ended = (reason: SessionEnded['data']['reason'], ms = 1000): SessionEnded => ({ type: 'SessionEnded', data: { ...session, endedAt: at(ms), reason } });
  const spec = deciderSpec(sessionDecider);

  it('starts with idle and absolute deadlines, once', () => {
    spec.given([]).when(start).then([started]);
    spec.given([started]).when(start).thenRejects('SessionExists');
  });

  it('records activity at most every few minutes, pushing the idle deadline but never past the absolute one', () => {
    spec.given([started]).when({ type: 'RecordSessionActivity', now: at(SESSION_ACTIVITY_GRANULARITY_MS - 1) }).thenNothing();
    const now = at(SESSION_ACTIVITY_GRANULARITY_MS);
    spec.given([started]).when({ type: 'RecordSessionActivity', now }).then([{ type: 'SessionActive', data: { ...session, at: now, idleExpiresAt: at(SESSION_ACTIVITY_GRANULARITY_MS + SESSION_IDLE_MS) } }]);
    const late = at(SESSION_ABSOLUTE_MS - 60_000);
    const chain: SessionEvent[] = [started];
    for (let ms = SESSION_ACTIVITY_GRANULARITY_MS; ms < SESSION_ABSOLUTE_MS - 60_000; ms += SESSION_ACTIVITY_GRANULARITY_MS) {
      chain.push({ type: 'SessionActive', data: { ...session, at: at(ms), idleExpiresAt: at(Math.min(ms + SESSION_IDLE_MS, SESSION_ABSOLUTE_MS)) } });
    }
    const state = fold(sessionDecider, chain);
    expect(sessionLive(state, late)).toBe(true);
    expect(sessionLive(state, at(SESSION_ABSOLUTE_MS))).toBe(false);
  });

  it('times out when idle, and absolutely', () => {
    const state = fold(sessionDecider, [started]);
    expect(sessionLive(state, at(SESSION_IDLE_MS - 1))).toBe(true);
    expect(sessionLive(state, at(SESSION_IDLE_MS))).toBe(false);
    spec.given([started]).when({ type: 'RecordSessionActivity', now: at(SESSION_IDLE_MS) }).thenRejects('SessionOver');
  });

  it('ends once, only within its tenant', () => {
    spec.given([started]).when({ type: 'EndSession', tenantId: 'tenant-1', reason: 'signed-out', now: at(1000) }).then([ended('signed-out')]);
    spec.given([started, ended('signed-out')]).when({ type: 'EndSession', tenantId: 'tenant-1', reason: 'ended-by-admin', now: at(2000) }).thenNothing();
    spec.given([started]).when({ type: 'EndSession', tenantId: 'tenant-2', reason: 'ended-by-admin', now: at(1000) }).thenRejects('SessionNotFound');
    expect(sessionLive(fold(sessionDecider, [started, ended('signed-out')]), at(2000))).toBe(false);
  });
});
