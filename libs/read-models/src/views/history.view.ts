import { RecordedEvent } from '@keyhold/event-store';
import { LifecycleSubject, publicFormOf } from '@keyhold/messaging';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

/**
 * One event as auditors see it: its metadata, what it is about, and the same whitelisted data
 * the lifecycle topic publishes (no hash, ciphertext, key id or anything derived from a secret).
 */
export type HistoryEntryView = ReadModelDocument & {
  /** The event id. */
  id: string;
  /** The global log position: the order of the history, and its pagination key. */
  position: string;
  streamName: string;
  streamRevision: number;
  type: string;
  schemaVersion: number;
  tenantId: string;
  actorId: string;
  correlationId: string;
  causationId: string;
  reason: string | null;
  occurredAt: string;
  subjectKind: LifecycleSubject['kind'];
  subjectId: string;
  data: Record<string, string | null>;
};

/** Every query is within one tenant and in log order; the others narrow by subject, actor, type or time. */
export const HISTORY: CollectionDefinition = {
  name: 'history',
  indexes: [
    ['tenantId', 'position'],
    ['tenantId', 'subjectKind', 'subjectId', 'position'],
    ['tenantId', 'actorId', 'position'],
    ['tenantId', 'type', 'position'],
    ['tenantId', 'occurredAt'],
  ],
};

/**
 * Events outside the lifecycle contract (access-token issuance, the busiest event) have no
 * public form and are not kept: history shows nothing that the contract has not vetted.
 */
export const historyProjection = (readModels: ReadModelStore): Projection => {
  const history = readModels.collection<HistoryEntryView>(HISTORY);
  return {
    name: 'history',
    async apply(event: RecordedEvent) {
      const form = publicFormOf(event);
      if (!form) return;
      const { eventId, schemaVersion, tenantId, actorId, correlationId, causationId, reason, occurredAt } = event.metadata;
      await history.putIfNewer(
        {
          id: eventId,
          position: event.globalPosition,
          streamName: event.streamName,
          streamRevision: event.streamRevision,
          type: event.type,
          schemaVersion,
          tenantId,
          actorId,
          correlationId,
          causationId,
          reason: reason ?? null,
          occurredAt,
          subjectKind: form.subject.kind,
          subjectId: form.subject.id,
          data: form.data,
        },
        event.globalPosition,
      );
    },
  };
};
