import { Inject, Injectable } from '@nestjs/common';
import { HISTORY, HistoryEntryView, ListQuery, Page, READ_MODEL_STORE, ReadModelCollection, ReadModelStore } from '@keyhold/read-models';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { pageOf, PageQuery } from '../http/pagination';
import { Problem } from '../http/problem';
import { eventsUpTo, PublicCredentialState, publicCredentialState } from './credential-state';
import { CredentialKind, HistoryFilterQuery } from './history.dto';

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

/** Reads the history read model, always within the caller's tenant, in log order. */
@Injectable()
export class HistoryQuery {
  private readonly history: ReadModelCollection<HistoryEntryView>;

  constructor(
    @Inject(READ_MODEL_STORE) readModels: ReadModelStore,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {
    this.history = readModels.collection<HistoryEntryView>(HISTORY);
  }

  /**
   * A credential as it was at `at`, folded from the event log itself. The history says which
   * stream holds it (a personal token lives in its owner's stream, an integration in its
   * tenant's), and only within the caller's tenant, so another tenant's credential is not found.
   */
  async credentialAt(tenantId: string, kind: CredentialKind, id: string, at: string): Promise<{ kind: CredentialKind; id: string; at: string; state: PublicCredentialState }> {
    const notFound = () => new Problem('not-found', `No ${kind} with this id existed in this tenant at ${at}.`);
    const { items } = await this.history.list({ where: { tenantId, subjectKind: kind, subjectId: id }, orderBy: 'position', direction: 'asc', limit: 1 });
    if (!items[0]) throw notFound();
    const events = eventsUpTo(await this.events.readStream(items[0].streamName), at);
    const state = publicCredentialState(kind, id, tenantId, events, at);
    if (!state) throw notFound();
    return { kind, id, at, state };
  }

  page(tenantId: string, filter: HistoryFilterQuery, page: PageQuery): Promise<Page<HistoryEntryResponse>> {
    const { where, ...order } = this.selection(tenantId, filter);
    return pageOf(this.history, where, page, toHistoryResponse, order);
  }

  /**
   * Every selected entry, page by page, so an export of any size holds one page in memory. The
   * filters are checked here, before anything is streamed: once an export has started, an error
   * can no longer become a problem response.
   */
  export(tenantId: string, filter: HistoryFilterQuery): AsyncIterable<HistoryEntryResponse> {
    return this.entries(this.selection(tenantId, filter));
  }

  private async *entries(selection: Selection): AsyncGenerator<HistoryEntryResponse> {
    let cursor: string | null = null;
    do {
      const page: Page<HistoryEntryView> = await this.history.list({ ...selection, limit: EXPORT_PAGE_SIZE, cursor });
      yield* page.items.map(toHistoryResponse);
      cursor = page.nextCursor;
    } while (cursor);
  }

  private selection(tenantId: string, filter: HistoryFilterQuery): Selection {
    const [from, to] = [instant(filter.from), instant(filter.to)];
    if (from !== undefined && to !== undefined && from >= to) {
      throw new Problem('validation-error', 'from must be before to.', { errors: [{ field: 'from', messages: ['from must be before to'] }] });
    }
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
  }
}
