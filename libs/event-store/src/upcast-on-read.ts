import { EVENT_SCHEMAS } from '@keyhold/domain';
import { RecordedEvent } from './event-store.port';

/**
 * A stored event in its type's current shape: every adapter passes what it reads through here
 * (readStream, readAll, subscribeToAll), so deciders, projections and indexes never see an old
 * version. Only `readAllAsStored` skips it, for hash verification over the stored form.
 */
export const upcastOnRead = (event: RecordedEvent): RecordedEvent => {
  const current = EVENT_SCHEMAS.currentVersion(event.type);
  if (event.metadata.schemaVersion === current) return event;
  return {
    ...event,
    data: EVENT_SCHEMAS.upcast(event.type, event.metadata.schemaVersion, event.data),
    metadata: { ...event.metadata, schemaVersion: current },
  };
};
