import { API_CLIENT_EVENTS, apiClientDecider, ClientSecretStatus, clientSecretStatusAt } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { API_CLIENTS, ApiClientView, CLIENT_SECRETS, ClientSecretView, ReadModelStore } from '@keyhold/read-models';
import { AccessTokenSummary, liveAccessTokens } from '../client-access-tokens';
import { TokenUsage } from '../personal-tokens/token-details';
import { activeOfTenant, revisionOf } from '../tenant-resource';
import { apiClientStream } from './api-client-stream';

/** Secrets of one client listed at most; a client holds at most 5 live ones. */
const SECRETS_LISTED = 200;

export type ApiClientQuery = { readonly tenantId: string; readonly clientId: string };

const NOT_FOUND = 'API client not found.';

const activeClient = (readModels: ReadModelStore, { tenantId, clientId }: ApiClientQuery): Promise<ApiClientView> =>
  activeOfTenant<ApiClientView>(readModels, API_CLIENTS, { tenantId, id: clientId }, NOT_FOUND);

/** One API client, and the revision of its stream: what an ETag names and an If-Match expects. */
export class GetApiClient {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly events: EventStore,
  ) {}

  async execute(query: ApiClientQuery): Promise<{ readonly client: ApiClientView; readonly revision: number }> {
    const client = await activeClient(this.readModels, query);
    return { client, revision: await revisionOf(client.streamRevision, this.events, apiClientStream(query.clientId), apiClientDecider, API_CLIENT_EVENTS, NOT_FOUND) };
  }
}

/** A secret as lists show it: a hint and dates, never the secret. */
export type ClientSecretSummary = {
  readonly id: string;
  readonly hint: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly status: ClientSecretStatus;
  readonly lastUsedAt: string | null;
};

/** A client's active and expired secrets (removed ones are gone), oldest first, each with its status at this instant. */
export class ListClientSecrets {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly usage: TokenUsage,
  ) {}

  async execute(query: ApiClientQuery): Promise<ClientSecretSummary[]> {
    const client = await activeClient(this.readModels, query);
    const collection = this.readModels.collection<ClientSecretView>(CLIENT_SECRETS);
    const pages = await Promise.all(
      (['active', 'expired'] as const).map((status) =>
        collection.list({ where: { clientId: client.id, status }, orderBy: 'createdAt', direction: 'desc', limit: SECRETS_LISTED }),
      ),
    );
    const secrets = pages.flatMap((page) => page.items).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const lastUsed = await this.usage.lastUsedAt(secrets.map((secret) => secret.id));
    const now = new Date().toISOString();
    return secrets.map((secret) => ({
      id: secret.id,
      hint: secret.hint,
      createdAt: secret.createdAt,
      expiresAt: secret.expiresAt,
      status: clientSecretStatusAt(secret, now),
      lastUsedAt: lastUsed.get(secret.id) ?? null,
    }));
  }
}

/** The hours in which an API client obtained access tokens that may still be live (see `liveAccessTokens`). */
export class ListApiClientTokens {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute(query: ApiClientQuery): Promise<AccessTokenSummary[]> {
    const client = await activeClient(this.readModels, query);
    return liveAccessTokens(this.readModels, { clientId: client.id }, new Date().toISOString());
  }
}
