import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';

/**
 * A signed-in browser session, in a stream per session (`session-<session id>`). The cookie
 * holds the session id and a secret; only the secret's keyed hash is stored. A session ends at
 * the first of: sign-out, being ended by its user or an admin, `IDLE_MS` without activity, or
 * `ABSOLUTE_MS` after sign-in. Activity is recorded at most every `ACTIVITY_GRANULARITY_MS`, so
 * a busy session does not write an event per request.
 */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
export const SESSION_ACTIVITY_GRANULARITY_MS = 5 * 60 * 1000;

type Ids = { tenantId: string; userId: string; sessionId: string };
export type SessionEndReason = 'signed-out' | 'ended-by-user' | 'ended-by-admin' | 'replaced';

export type SessionStarted = {
  type: 'SessionStarted';
  data: Ids & { secretHash: string; hashKeyId: string; startedAt: string; idleExpiresAt: string; absoluteExpiresAt: string };
};
export type SessionActive = { type: 'SessionActive'; data: Ids & { at: string; idleExpiresAt: string } };
export type SessionEnded = { type: 'SessionEnded'; data: Ids & { endedAt: string; reason: SessionEndReason } };
export type SessionEvent = SessionStarted | SessionActive | SessionEnded;

export type StartSession = Ids & { type: 'StartSession'; secretHash: string; hashKeyId: string; now: string };
export type RecordSessionActivity = { type: 'RecordSessionActivity'; now: string };
export type EndSession = { type: 'EndSession'; tenantId: string; reason: SessionEndReason; now: string };
export type SessionCommand = StartSession | RecordSessionActivity | EndSession;

/** SignInFailed: the one answer to a wrong organisation, e-mail or password, before any session starts. */
export type SessionRejection = Rejection<'SessionExists' | 'SessionNotFound' | 'SessionOver' | 'SignInFailed'>;

export type SessionState =
  | { readonly status: 'none' }
  | {
      readonly status: 'started';
      readonly ids: Ids;
      readonly secretHash: string;
      readonly hashKeyId: string;
      readonly lastActiveAt: string;
      readonly idleExpiresAt: string;
      readonly absoluteExpiresAt: string;
    }
  | { readonly status: 'ended'; readonly ids: Ids };

const plus = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();
const earliest = (a: string, b: string) => (a < b ? a : b);

/** Whether a started session's timeouts still let it through at `now`: the one rule, for the cookie check and the API. */
export const sessionWindowOpen = (session: { idleExpiresAt: string; absoluteExpiresAt: string }, now: string): boolean =>
  now < session.idleExpiresAt && now < session.absoluteExpiresAt;

export const sessionLive = (state: SessionState, now: string): state is Extract<SessionState, { status: 'started' }> =>
  state.status === 'started' && sessionWindowOpen(state, now);

const decide = (command: SessionCommand, state: SessionState) => {
  switch (command.type) {
    case 'StartSession': {
      if (state.status !== 'none') return reject<SessionRejection>({ code: 'SessionExists', message: 'The session already exists.' });
      const { type: _type, now, ...data } = command;
      const absoluteExpiresAt = plus(now, SESSION_ABSOLUTE_MS);
      return accept<SessionEvent>({
        type: 'SessionStarted',
        data: { ...data, startedAt: now, idleExpiresAt: earliest(plus(now, SESSION_IDLE_MS), absoluteExpiresAt), absoluteExpiresAt },
      });
    }
    case 'RecordSessionActivity': {
      if (!sessionLive(state, command.now)) return reject<SessionRejection>({ code: 'SessionOver', message: 'The session is over.' });
      if (Date.parse(command.now) - Date.parse(state.lastActiveAt) < SESSION_ACTIVITY_GRANULARITY_MS) return accept<SessionEvent>();
      return accept<SessionEvent>({
        type: 'SessionActive',
        data: { ...state.ids, at: command.now, idleExpiresAt: earliest(plus(command.now, SESSION_IDLE_MS), state.absoluteExpiresAt) },
      });
    }
    case 'EndSession': {
      if (state.status === 'none' || state.ids.tenantId !== command.tenantId) {
        return reject<SessionRejection>({ code: 'SessionNotFound', message: 'Session not found.' });
      }
      if (state.status === 'ended') return accept<SessionEvent>();
      return accept<SessionEvent>({ type: 'SessionEnded', data: { ...state.ids, endedAt: command.now, reason: command.reason } });
    }
    default:
      return assertNever(command);
  }
};

const evolve = (state: SessionState, event: SessionEvent): SessionState => {
  switch (event.type) {
    case 'SessionStarted': {
      const { tenantId, userId, sessionId, secretHash, hashKeyId, startedAt, idleExpiresAt, absoluteExpiresAt } = event.data;
      return { status: 'started', ids: { tenantId, userId, sessionId }, secretHash, hashKeyId, lastActiveAt: startedAt, idleExpiresAt, absoluteExpiresAt };
    }
    case 'SessionActive':
      return state.status === 'started' ? { ...state, lastActiveAt: event.data.at, idleExpiresAt: event.data.idleExpiresAt } : state;
    case 'SessionEnded':
      return state.status === 'none' ? state : { status: 'ended', ids: state.ids };
    default:
      return assertNever(event);
  }
};

export const sessionDecider: Decider<SessionState, SessionCommand, SessionEvent, SessionRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
