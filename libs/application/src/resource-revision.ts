import { EventStore } from '@keyhold/event-store';
import { ApplicationError } from './application-error';

/**
 * The revision of the stream that holds a resource: what its ETag names and an If-Match on a
 * change expects. A resource the log has no stream for (a log restored behind its read models)
 * names nothing to change: not found.
 */
export const resourceRevision = async (events: EventStore, stream: string, notFound: string): Promise<number> => {
  const recorded = await events.readStream(stream);
  if (recorded.length === 0) throw ApplicationError.notFound(notFound);
  return recorded[recorded.length - 1].streamRevision;
};
