import { Decider, DomainEventShape, EventFamily } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '@keyhold/read-models';
import { ApplicationError } from './application-error';
import { readState } from './read-state';

type TenantDocument = ReadModelDocument & { readonly tenantId: string; readonly status: string };

/**
 * One resource of a tenant as a read model shows it: another tenant's, or one no longer active,
 * does not exist for the caller (`notFound` says so in the resource's words).
 */
export const activeOfTenant = async <Document extends TenantDocument>(
  readModels: ReadModelStore,
  collection: CollectionDefinition,
  { tenantId, id }: { readonly tenantId: string; readonly id: string },
  notFound: string,
): Promise<Document> => {
  const document = await readModels.collection<Document>(collection).get(id);
  if (!document || document.tenantId !== tenantId || document.status !== 'active') throw ApplicationError.notFound(notFound);
  return document;
};

/**
 * The revision of the stream that holds a resource: what its ETag names and an If-Match expects.
 * A resource the log has no stream for (a log restored behind its read models) names nothing to change.
 */
export const revisionOf = async <State, Event extends DomainEventShape>(
  events: EventStore,
  stream: string,
  decider: Pick<Decider<State, never, Event, unknown>, 'initialState' | 'evolve'>,
  family: EventFamily<Event>,
  notFound: string,
): Promise<number> => {
  const { revision } = await readState(events, stream, decider, family);
  if (revision === null) throw ApplicationError.notFound(notFound);
  return revision;
};
