import { Decider, DomainEventShape, DomainRejection, EventFamily } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { CollectionDefinition, ListQuery, ReadModelDocument, ReadModelStore } from '@keyhold/read-models';
import { ApplicationError } from './application-error';
import { readState } from './read-state';

type TenantDocument = ReadModelDocument & { readonly tenantId: string; readonly status: string };

type ResourceRef = { readonly tenantId: string; readonly id: string };

/** One resource of a tenant as a read model shows it: another tenant's does not exist for the caller. */
const ofTenant = async <Document extends TenantDocument>(readModels: ReadModelStore, collection: CollectionDefinition, { tenantId, id }: ResourceRef, notFound: string) => {
  const document = await readModels.collection<Document>(collection).get(id);
  if (!document || document.tenantId !== tenantId) throw ApplicationError.notFound(notFound);
  return document;
};

/** One resource of a tenant, which no longer exists for the caller once it is not active (`notFound` says so in the resource's words). */
export const activeOfTenant = async <Document extends TenantDocument>(
  readModels: ReadModelStore,
  collection: CollectionDefinition,
  ref: ResourceRef,
  notFound: string,
): Promise<Document> => {
  const document = await ofTenant<Document>(readModels, collection, ref, notFound);
  if (document.status !== 'active') throw ApplicationError.notFound(notFound);
  return document;
};

/** One resource of a tenant whose view keeps it once deleted: a deleted one is refused as `deleted` says. */
export const undeletedOfTenant = async <Document extends TenantDocument>(
  readModels: ReadModelStore,
  collection: CollectionDefinition,
  ref: ResourceRef,
  notFound: string,
  deleted: DomainRejection,
): Promise<Document> => {
  const document = await ofTenant<Document>(readModels, collection, ref, notFound);
  if (document.status === 'deleted') throw ApplicationError.rejected(deleted);
  return document;
};

/**
 * The revision of the stream that holds a resource: what its ETag names and an If-Match expects.
 * Views keep it (`kept`: a document's `streamRevision`, or `latestStreamRevision` where a stream
 * holds several); only a document written before they did costs a read of the log. A resource
 * the log has no stream for (a log restored behind its read models) names nothing to change.
 */
export const revisionOf = async <State, Event extends DomainEventShape>(
  kept: number | undefined,
  events: EventStore,
  stream: string,
  decider: Pick<Decider<State, never, Event, unknown>, 'initialState' | 'evolve'>,
  family: EventFamily<Event>,
  notFound: string,
): Promise<number> => {
  if (kept !== undefined) return kept;
  const { revision } = await readState(events, stream, decider, family);
  if (revision === null) throw ApplicationError.notFound(notFound);
  return revision;
};

type StreamRevisionDocument = ReadModelDocument & { readonly streamRevision?: number };

/**
 * The revision of a stream that holds several documents of one view (a tenant's users, an
 * owner's tokens), where every event of the stream changes one of them: the highest revision
 * they keep. Undefined while none keeps one (documents written before views kept it).
 */
export const latestStreamRevision = async <Document extends StreamRevisionDocument>(
  readModels: ReadModelStore,
  collection: CollectionDefinition,
  where: ListQuery<Document>['where'],
): Promise<number | undefined> => {
  const { items } = await readModels.collection<Document>(collection).list({ where, orderBy: 'streamRevision', direction: 'desc', limit: 1 });
  return items[0]?.streamRevision;
};
