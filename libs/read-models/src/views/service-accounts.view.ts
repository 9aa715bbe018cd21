import { ACCESS_TOKEN_EVENTS, assertNever, OAuthClientKind, Permission, SERVICE_ACCOUNT_EVENTS } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

export type ServiceAccountView = ReadModelDocument & {
  id: string;
  tenantId: string;
  name: string;
  status: 'active' | 'deleted';
  permissions: Permission[];
  projects: string[];
  secretHint: string;
  secretGeneration: number;
  /** True between a secret reset and the permissions reset that follows it. */
  permissionsResetPending: boolean;
  sunsetAt: string | null;
  createdAt: string;
  secretResetAt: string | null;
  updatedAt: string;
  /** RFC 7638 thumbprint of the key its Kafka commands are signed with; absent until one is registered. */
  commandSigningKeyThumbprint?: string;
  /**
   * The revision of its stream (it has one of its own) at the last event, what its ETag names
   * without a log read; absent on documents written before views kept it.
   */
  streamRevision?: number;
};

export const SERVICE_ACCOUNTS: CollectionDefinition = {
  name: 'service_accounts',
  indexes: [['tenantId', 'createdAt'], ['permissionsResetPending', 'createdAt']],
};

/**
 * What a client's token listing shows: each token issued before tokens were sealed, and since
 * then each hour in which the client obtained tokens (`AccessTokensIssued`; its id is the
 * issuance stream's, its `expiresAt` the latest any token of that hour can live). Never a token,
 * never its hash.
 */
export type AccessTokenView = ReadModelDocument & {
  id: string;
  tenantId: string;
  clientId: string;
  clientKind: OAuthClientKind;
  scope: Permission[];
  clientGeneration: number;
  status: 'active' | 'revoked';
  issuedAt: string;
  expiresAt: string;
};

export const ACCESS_TOKENS: CollectionDefinition = { name: 'access_tokens', indexes: [['clientId', 'status', 'issuedAt']] };

/** A revoked sealed token, until it expires: what a stale node asks before accepting one. */
export type AccessTokenRevocationView = ReadModelDocument & { id: string; tenantId: string; clientId: string; expiresAt: string };

export const ACCESS_TOKEN_REVOCATIONS: CollectionDefinition = { name: 'access_token_revocations', indexes: [['expiresAt']] };

const sorted = <T>(items: Iterable<T>) => [...new Set(items)].sort();

export const serviceAccountsProjection = (readModels: ReadModelStore): Projection => {
  const accounts = readModels.collection<ServiceAccountView>(SERVICE_ACCOUNTS);
  return {
    name: 'service-accounts',
    async apply(event: RecordedEvent) {
      if (!SERVICE_ACCOUNT_EVENTS.includes(event)) return;
      const position = event.globalPosition;
      const update = (id: string, change: (account: ServiceAccountView) => Partial<ServiceAccountView>, at: string) =>
        patchIfNewer(accounts, id, position, (account) => ({ ...change(account), updatedAt: at, streamRevision: event.streamRevision }));
      switch (event.type) {
        case 'ServiceAccountCreated': {
          const { accountId, tenantId, name, secret, sunsetAt, createdAt } = event.data;
          await accounts.putIfNewer(
            {
              id: accountId,
              tenantId,
              name,
              status: 'active',
              permissions: [],
              projects: [],
              secretHint: secret.hint,
              secretGeneration: 0,
              permissionsResetPending: false,
              sunsetAt,
              createdAt,
              secretResetAt: null,
              updatedAt: createdAt,
              streamRevision: event.streamRevision,
            },
            position,
          );
          return;
        }
        case 'ServiceAccountPermissionGranted':
          return update(event.data.accountId, (a) => ({ permissions: sorted([...a.permissions, event.data.permission]) }), event.data.grantedAt);
        case 'ServiceAccountPermissionRemoved':
          return update(event.data.accountId, (a) => ({ permissions: a.permissions.filter((p) => p !== event.data.permission) }), event.data.removedAt);
        case 'ServiceAccountProjectJoined':
          return update(event.data.accountId, (a) => ({ projects: sorted([...a.projects, event.data.projectId]) }), event.data.joinedAt);
        case 'ServiceAccountProjectLeft':
          return update(event.data.accountId, (a) => ({ projects: a.projects.filter((p) => p !== event.data.projectId) }), event.data.leftAt);
        case 'ClientSecretReset':
          return update(
            event.data.accountId,
            () => ({ secretHint: event.data.secret.hint, secretGeneration: event.data.generation, permissionsResetPending: true, secretResetAt: event.data.resetAt }),
            event.data.resetAt,
          );
        case 'ServiceAccountPermissionsReset':
          return update(
            event.data.accountId,
            (a) => ({ permissions: [], projects: [], permissionsResetPending: event.data.generation < a.secretGeneration }),
            event.data.resetAt,
          );
        case 'ServiceAccountSunsetChanged':
          return update(event.data.accountId, () => ({ sunsetAt: event.data.sunsetAt }), event.data.changedAt);
        case 'ServiceAccountDeleted':
          return update(event.data.accountId, () => ({ status: 'deleted' }), event.data.deletedAt);
        case 'ServiceAccountCommandKeyRegistered':
          return update(event.data.accountId, () => ({ commandSigningKeyThumbprint: event.data.thumbprint }), event.data.registeredAt);
        default:
          return assertNever(event);
      }
    },
  };
};

/**
 * Access tokens per client, and revocations. A token's validity also depends on its client
 * (deleted, secret reset), which the API checks against the client's view when it lists
 * "currently valid" ones.
 */
export const accessTokensProjection = (readModels: ReadModelStore): Projection => {
  const tokens = readModels.collection<AccessTokenView>(ACCESS_TOKENS);
  const revocations = readModels.collection<AccessTokenRevocationView>(ACCESS_TOKEN_REVOCATIONS);
  return {
    name: 'access-tokens',
    async apply(recorded: RecordedEvent) {
      if (!ACCESS_TOKEN_EVENTS.includes(recorded)) return;
      const position = recorded.globalPosition;
      switch (recorded.type) {
        case 'AccessTokenIssued': {
          const { tokenId, tenantId, clientId, clientKind, scope, clientGeneration, issuedAt, expiresAt } = recorded.data;
          await tokens.putIfNewer({ id: tokenId, tenantId, clientId, clientKind, scope, clientGeneration, status: 'active', issuedAt, expiresAt }, position);
          return;
        }
        case 'AccessTokensIssued': {
          const { tenantId, clientId, clientKind, scope, clientGeneration, issuedAt, expiresAt, windowEnd } = recorded.data;
          const lastExpiry = new Date(Date.parse(windowEnd) + Date.parse(expiresAt) - Date.parse(issuedAt)).toISOString();
          const id = recorded.streamName.slice(recorded.streamName.indexOf('-') + 1);
          await tokens.putIfNewer({ id, tenantId, clientId, clientKind, scope, clientGeneration, status: 'active', issuedAt, expiresAt: lastExpiry }, position);
          return;
        }
        case 'AccessTokenRevoked': {
          const { tokenId, tenantId, clientId, expiresAt } = recorded.data;
          if (expiresAt !== undefined) await revocations.putIfNewer({ id: tokenId, tenantId, clientId, expiresAt }, position);
          return patchIfNewer(tokens, tokenId, position, () => ({ status: 'revoked' as const }));
        }
        default:
          return assertNever(recorded);
      }
    },
  };
};
