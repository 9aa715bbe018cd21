import { assertNever, SESSION_EVENTS, SessionEndReason } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

/** A browser session as its user and admins list it; never its secret or the secret's hash. */
export type SessionView = ReadModelDocument & {
  /** The session id: a handle, not the cookie's secret. */
  id: string;
  tenantId: string;
  userId: string;
  status: 'started' | 'ended';
  createdAt: string;
  lastActiveAt: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
  endedAt: string | null;
  endReason: SessionEndReason | null;
};

export const SESSIONS: CollectionDefinition = { name: 'sessions', indexes: [['tenantId', 'userId', 'createdAt']] };

export const sessionsProjection = (readModels: ReadModelStore): Projection => {
  const sessions = readModels.collection<SessionView>(SESSIONS);
  return {
    name: 'sessions',
    async apply(event: RecordedEvent) {
      if (!SESSION_EVENTS.includes(event)) return;
      switch (event.type) {
        case 'SessionStarted': {
          const { sessionId, tenantId, userId, startedAt, idleExpiresAt, absoluteExpiresAt } = event.data;
          await sessions.putIfNewer(
            { id: sessionId, tenantId, userId, status: 'started', createdAt: startedAt, lastActiveAt: startedAt, idleExpiresAt, absoluteExpiresAt, endedAt: null, endReason: null },
            event.globalPosition,
          );
          return;
        }
        case 'SessionActive':
          return patchIfNewer(sessions, event.data.sessionId, event.globalPosition, () => ({ lastActiveAt: event.data.at, idleExpiresAt: event.data.idleExpiresAt }));
        case 'SessionEnded':
          return patchIfNewer(sessions, event.data.sessionId, event.globalPosition, () => ({ status: 'ended' as const, endedAt: event.data.endedAt, endReason: event.data.reason }));
        default:
          return assertNever(event);
      }
    },
  };
};
