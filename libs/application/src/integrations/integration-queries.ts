import { INTEGRATION_EVENTS, integrationsDecider } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { INTEGRATIONS, IntegrationView, Page, ReadModelStore } from '@keyhold/read-models';
import { latestStreamRevision, revisionOf, undeletedOfTenant } from '../tenant-resource';
import { detailsOfIntegrationView, IntegrationViewDetails } from './integration-details';
import { integrationsStream } from './integrations-stream';

export type GetIntegrationInput = { readonly tenantId: string; readonly integrationId: string };

const NOT_FOUND = 'Integration not found.';

/**
 * One integration from the read model, within the caller's tenant, and the revision of the
 * tenant's integrations stream that holds it: what an ETag names and an If-Match expects (a
 * change to any integration of the tenant moves it).
 */
export class GetIntegration {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly events: EventStore,
  ) {}

  async execute({ tenantId, integrationId }: GetIntegrationInput): Promise<{ integration: IntegrationViewDetails; revision: number }> {
    const view = await undeletedOfTenant<IntegrationView>(this.readModels, INTEGRATIONS, { tenantId, id: integrationId }, NOT_FOUND, {
      code: 'IntegrationDeleted',
      message: 'The integration was deleted.',
    });
    const kept = await latestStreamRevision<IntegrationView>(this.readModels, INTEGRATIONS, { tenantId });
    const revision = await revisionOf(kept, this.events, integrationsStream(tenantId), integrationsDecider, INTEGRATION_EVENTS, NOT_FOUND);
    return { integration: detailsOfIntegrationView(view), revision };
  }
}

export type ListIntegrationsInput = { readonly tenantId: string; readonly limit: number; readonly cursor: string | null };

/** The tenant's integrations (deleted ones left out), oldest first. */
export class ListIntegrations {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute({ tenantId, limit, cursor }: ListIntegrationsInput): Promise<Page<IntegrationViewDetails>> {
    const page = await this.readModels
      .collection<IntegrationView>(INTEGRATIONS)
      .list({ where: { tenantId, deleted: false }, orderBy: 'createdAt', direction: 'asc', limit, cursor });
    return { items: page.items.map(detailsOfIntegrationView), nextCursor: page.nextCursor };
  }
}
