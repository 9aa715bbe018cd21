import { API_CLIENT_EVENTS, ApiClientFlows, assertNever, ClientSecretStatus } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

export type ApiClientView = ReadModelDocument & {
  id: string;
  tenantId: string;
  name: string;
  status: 'active' | 'deleted';
  flows: ApiClientFlows;
  /** Exactly as registered, in the order they were added. */
  redirectUris: string[];
  createdAt: string;
  updatedAt: string;
  /**
   * The revision of its stream (it has one of its own) at the last event, what its ETag names
   * without a log read; absent on documents written before views kept it.
   */
  streamRevision?: number;
};

export const API_CLIENTS: CollectionDefinition = { name: 'api_clients', indexes: [['tenantId', 'status', 'createdAt']] };

/** A client secret as listed: its hint and dates, never the secret nor its hash. */
export type ClientSecretView = ReadModelDocument & {
  id: string;
  clientId: string;
  tenantId: string;
  hint: string;
  status: ClientSecretStatus;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
};

export const CLIENT_SECRETS: CollectionDefinition = {
  name: 'client_secrets',
  indexes: [
    ['clientId', 'status', 'createdAt'],
    ['tenantId', 'status', 'expiresAt'],
    ['status', 'expiresAt'],
  ],
};

export const apiClientsProjection = (readModels: ReadModelStore): Projection => {
  const clients = readModels.collection<ApiClientView>(API_CLIENTS);
  return {
    name: 'api-clients',
    async apply(event: RecordedEvent) {
      if (!API_CLIENT_EVENTS.includes(event)) return;
      const position = event.globalPosition;
      const streamRevision = event.streamRevision;
      const update = (id: string, change: (client: ApiClientView) => Partial<ApiClientView>, at: string) =>
        patchIfNewer(clients, id, position, (client) => ({ ...change(client), updatedAt: at, streamRevision }));
      switch (event.type) {
        case 'ApiClientCreated': {
          const { clientId, tenantId, name, flows, createdAt } = event.data;
          await clients.putIfNewer({ id: clientId, tenantId, name, status: 'active', flows, redirectUris: [], createdAt, updatedAt: createdAt, streamRevision }, position);
          return;
        }
        case 'ApiClientRenamed':
          return update(event.data.clientId, () => ({ name: event.data.name }), event.data.renamedAt);
        case 'RedirectUriAdded':
          return update(event.data.clientId, (c) => ({ redirectUris: [...c.redirectUris.filter((uri) => uri !== event.data.uri), event.data.uri] }), event.data.addedAt);
        case 'RedirectUriRemoved':
          return update(event.data.clientId, (c) => ({ redirectUris: c.redirectUris.filter((uri) => uri !== event.data.uri) }), event.data.removedAt);
        case 'ApiClientFlowsChanged':
          return update(event.data.clientId, () => ({ flows: event.data.flows }), event.data.changedAt);
        case 'ApiClientDeleted':
          return update(event.data.clientId, () => ({ status: 'deleted' }), event.data.deletedAt);
        case 'ClientSecretAdded':
        case 'ClientSecretRemoved':
        case 'ClientSecretExpired':
          // Its secrets are in its stream: they move its revision, not what the client shows.
          return patchIfNewer(clients, event.data.clientId, position, () => ({ streamRevision }));
        default:
          return assertNever(event);
      }
    },
  };
};

/** Page size when a deletion marks a client's remaining secrets. */
const PAGE = 200;

/**
 * Client secrets per client and per tenant, with their expiry: the expiry job and the
 * "expiring within N days" list read them ordered by `expiresAt`.
 */
export const clientSecretsProjection = (readModels: ReadModelStore): Projection => {
  const secrets = readModels.collection<ClientSecretView>(CLIENT_SECRETS);
  const mark = (id: string, position: string, status: ClientSecretStatus, at: string) =>
    patchIfNewer(secrets, id, position, () => ({ status, updatedAt: at }));
  return {
    name: 'client-secrets',
    async apply(event: RecordedEvent) {
      if (!API_CLIENT_EVENTS.includes(event)) return;
      const position = event.globalPosition;
      switch (event.type) {
        case 'ClientSecretAdded': {
          const { secretId, clientId, tenantId, secret, expiresAt, addedAt } = event.data;
          await secrets.putIfNewer(
            { id: secretId, clientId, tenantId, hint: secret.hint, status: 'active', createdAt: addedAt, expiresAt, updatedAt: addedAt },
            position,
          );
          return;
        }
        case 'ClientSecretRemoved':
          return mark(event.data.secretId, position, 'removed', event.data.removedAt);
        case 'ClientSecretExpired':
          return mark(event.data.secretId, position, 'expired', event.data.expiredAt);
        case 'ApiClientDeleted': {
          // The client's secrets died with it: none of them is active any more.
          let cursor: string | null = null;
          do {
            const page = await secrets.list({ where: { clientId: event.data.clientId, status: 'active' }, orderBy: 'createdAt', direction: 'asc', limit: PAGE, cursor });
            for (const secret of page.items) await secrets.putIfNewer({ ...secret, status: 'removed', updatedAt: event.data.deletedAt }, position);
            cursor = page.nextCursor;
          } while (cursor !== null);
          return;
        }
        case 'ApiClientCreated':
        case 'ApiClientRenamed':
        case 'RedirectUriAdded':
        case 'RedirectUriRemoved':
        case 'ApiClientFlowsChanged':
          return;
        default:
          return assertNever(event);
      }
    },
  };
};
