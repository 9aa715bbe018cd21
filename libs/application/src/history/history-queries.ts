import { HISTORY, HistoryEntryView, ListQuery, Page, ReadModelCollection, ReadModelStore } from '@keyhold/read-models';
import { EventStore } from '@keyhold/event-store';
import { ApplicationError } from '../application-error';
import { CredentialKind, eventsUpTo, PublicCredentialState, publicCredentialState } from './credential-state';

/** What to select from the history; the caller's tenant is always added. Instants are ISO 8601. */
export type HistoryFilter = {
  readonly kind?: string;
  readonly id?: string;
  readonly actor?: string;
  readonly type?: string[];
  readonly from?: string;
  readonly to?: string;
};

/** One history entry as the API shows it; everything in it was vetted by the lifecycle contract. */
export type HistoryEntryResponse = {
  eventId: string;
  position: string;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  tenantId: string;
  actorId: string;
  correlationId: string;
  causationId: string;
  reason: string | null;
  subject: { kind: string; id: string };
  stream: { name: string; revision: number };
  data: Record<string, string | null>;
};

export const toHistoryResponse = (entry: HistoryEntryView): HistoryEntryResponse => ({
  eventId: entry.id,
  position: entry.position,
  type: entry.type,
  schemaVersion: entry.schemaVersion,
  occurredAt: entry.occurredAt,
  tenantId: entry.tenantId,
  actorId: entry.actorId,
  correlationId: entry.correlationId,
  causationId: entry.causationId,
  reason: entry.reason,
  subject: { kind: entry.subjectKind, id: entry.subjectId },
  stream: { name: entry.streamName, revision: entry.streamRevision },
  data: entry.data,
});

type Selection = Pick<ListQuery<HistoryEntryView>, 'where' | 'orderBy' | 'direction' | 'range' | 'anyOf'>;

/** Pages of the export: big enough to keep round trips few, small enough to keep memory flat. */
const EXPORT_PAGE_SIZE = 200;

const instant = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

const selection = (tenantId: string, filter: HistoryFilter): Selection => {
  const [from, to] = [instant(filter.from), instant(filter.to)];
  if (from !== undefined && to !== undefined && from >= to) throw ApplicationError.invalid('from must be before to', 'from');
  return {
    where: {
      tenantId,
      ...(filter.kind !== undefined && { subjectKind: filter.kind, subjectId: filter.id }),
      ...(filter.actor !== undefined && { actorId: filter.actor }),
    },
    orderBy: 'position',
    direction: 'asc',
    ...((from !== undefined || to !== undefined) && { range: { field: 'occurredAt', from, to } }),
    ...(filter.type !== undefined && { anyOf: { field: 'type', values: filter.type } }),
  };
};

const historyOf = (readModels: ReadModelStore): ReadModelCollection<HistoryEntryView> => readModels.collection<HistoryEntryView>(HISTORY);

export type CredentialStateInput = { readonly tenantId: string; readonly kind: CredentialKind; readonly id: string; readonly at: string };

/**
 * A credential as it was at `at`, folded from the event log itself. The history says which
 * stream holds it (a personal token lives in its owner's stream, an integration in its
 * tenant's), and only within the caller's tenant, so another tenant's credential is not found.
 */
export class CredentialStateAt {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly events: EventStore,
  ) {}

  async execute({ tenantId, kind, id, at }: CredentialStateInput): Promise<{ kind: CredentialKind; id: string; at: string; state: PublicCredentialState }> {
    const notFound = () => ApplicationError.notFound(`No ${kind} with this id existed in this tenant at ${at}.`);
    const { items } = await historyOf(this.readModels).list({ where: { tenantId, subjectKind: kind, subjectId: id }, orderBy: 'position', direction: 'asc', limit: 1 });
    if (!items[0]) throw notFound();
    const events = eventsUpTo(await this.events.readStream(items[0].streamName), at);
    const state = publicCredentialState(kind, id, tenantId, events, at);
    if (!state) throw notFound();
    return { kind, id, at, state };
  }
}

export type ListHistoryInput = { readonly tenantId: string; readonly filter: HistoryFilter; readonly limit: number; readonly cursor: string | null };

/** A page of the tenant's history, in log order. */
export class ListHistory {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute({ tenantId, filter, limit, cursor }: ListHistoryInput): Promise<Page<HistoryEntryResponse>> {
    const page = await historyOf(this.readModels).list({ ...selection(tenantId, filter), limit, cursor });
    return { items: page.items.map(toHistoryResponse), nextCursor: page.nextCursor };
  }
}

/**
 * Every selected entry, page by page, so an export of any size holds one page in memory. The
 * filters are checked here, before anything is streamed: once an export has started, an error
 * can no longer become a problem response.
 */
export class ExportHistory {
  constructor(private readonly readModels: ReadModelStore) {}

  execute({ tenantId, filter }: { readonly tenantId: string; readonly filter: HistoryFilter }): AsyncIterable<HistoryEntryResponse> {
    return this.entries(selection(tenantId, filter));
  }

  private async *entries(selected: Selection): AsyncGenerator<HistoryEntryResponse> {
    const history = historyOf(this.readModels);
    let cursor: string | null = null;
    do {
      const page: Page<HistoryEntryView> = await history.list({ ...selected, limit: EXPORT_PAGE_SIZE, cursor });
      yield* page.items.map(toHistoryResponse);
      cursor = page.nextCursor;
    } while (cursor);
  }
}
