import { Permission, SERVICE_ACCOUNT_EVENTS, serviceAccountDecider } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { ReadModelStore, SERVICE_ACCOUNTS, ServiceAccountView } from '@keyhold/read-models';
import { AccessTokenSummary, liveAccessTokens } from '../client-access-tokens';
import { activeOfTenant, revisionOf } from '../tenant-resource';
import { serviceAccountStream } from './service-account-stream';

/** A service account as reads show it: a hint of its secret, never the secret. */
export type ServiceAccountDetails = {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly permissions: Permission[];
  readonly projects: string[];
  readonly permissionsResetPending: boolean;
  readonly secretHint: string;
  readonly sunsetAt: string | null;
  readonly createdAt: string;
  readonly secretResetAt: string | null;
  readonly commandSigningKeyThumbprint: string | null;
  readonly updatedAt: string;
};

/** While a permissions reset is pending the account holds nothing, whatever the view still lists. */
export const serviceAccountDetails = (account: ServiceAccountView): ServiceAccountDetails => ({
  id: account.id,
  clientId: account.id,
  name: account.name,
  permissions: account.permissionsResetPending ? [] : account.permissions,
  projects: account.permissionsResetPending ? [] : account.projects,
  permissionsResetPending: account.permissionsResetPending,
  secretHint: account.secretHint,
  sunsetAt: account.sunsetAt,
  createdAt: account.createdAt,
  secretResetAt: account.secretResetAt,
  commandSigningKeyThumbprint: account.commandSigningKeyThumbprint ?? null,
  updatedAt: account.updatedAt,
});

export type ServiceAccountQuery = { readonly tenantId: string; readonly accountId: string };

const NOT_FOUND = 'Service account not found.';

const activeAccount = (readModels: ReadModelStore, { tenantId, accountId }: ServiceAccountQuery): Promise<ServiceAccountView> =>
  activeOfTenant<ServiceAccountView>(readModels, SERVICE_ACCOUNTS, { tenantId, id: accountId }, NOT_FOUND);

/** One service account, and the revision of its stream: what an ETag names and an If-Match expects. */
export class GetServiceAccount {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly events: EventStore,
  ) {}

  async execute(query: ServiceAccountQuery): Promise<{ readonly account: ServiceAccountDetails; readonly revision: number }> {
    const view = await activeAccount(this.readModels, query);
    const revision = await revisionOf(view.streamRevision, this.events, serviceAccountStream(query.accountId), serviceAccountDecider, SERVICE_ACCOUNT_EVENTS, NOT_FOUND);
    return { account: serviceAccountDetails(view), revision };
  }
}

/**
 * The hours in which a service account obtained access tokens that may still be live (see
 * `liveAccessTokens`): of its current secret, and none once it is past its sunset.
 */
export class ListServiceAccountTokens {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute(query: ServiceAccountQuery): Promise<AccessTokenSummary[]> {
    const account = await activeAccount(this.readModels, query);
    const now = new Date().toISOString();
    if (account.sunsetAt !== null && account.sunsetAt <= now) return [];
    return liveAccessTokens(this.readModels, { clientId: account.id, clientGeneration: account.secretGeneration }, now);
  }
}
