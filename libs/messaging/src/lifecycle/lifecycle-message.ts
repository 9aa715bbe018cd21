import { AccessTokenIssued, AccessTokenRevoked, AccessTokensIssued, assertNever, categoryOf, EventMetadata, PersonalTokenEvent, ServiceAccountEvent, TenancyEvent } from '@keyhold/domain';
import { ConnectionEvent, IntegrationEvent, TenantSettingsEvent, UserPasswordSet } from '@keyhold/domain';
import { ApiClientEvent, InvitationEvent, SessionEnded, SessionStarted, SigningKeyAdded, UserGrantEvent } from '@keyhold/domain';

export * from './relay-heartbeat';

/**
 * The public contract of `keyhold.lifecycle.v1`: one message per lifecycle event, keyed by the
 * aggregate id so that one aggregate's messages stay in order, with the event id in a header so
 * that consumers drop redeliveries (delivery is at least once). Other services consume it to
 * drop their own caches. A breaking change gets a new topic (`.v2`), never an edit of this one.
 *
 * Each event type's `data` is chosen field by field: no hash, key id, idempotency key or
 * anything derived from a secret ever leaves through here.
 */
export const LIFECYCLE_TOPIC = 'keyhold.lifecycle.v1';
export const LIFECYCLE_SCHEMA = 'keyhold.lifecycle/1';

export const LIFECYCLE_HEADERS = {
  eventId: 'keyhold-event-id',
  eventType: 'keyhold-event-type',
  schema: 'keyhold-schema',
  tenantId: 'keyhold-tenant-id',
  correlationId: 'keyhold-correlation-id',
} as const;

export type LifecycleSubject = {
  kind: 'tenant' | 'user' | 'personal_api_token' | 'service_account' | 'access_token' | 'connection' | 'integration' | 'api_client' | 'user_grant' | 'session' | 'signing_key';
  id: string;
};

export type LifecycleMessage = {
  schema: typeof LIFECYCLE_SCHEMA;
  eventId: string;
  eventType: string;
  occurredAt: string;
  tenantId: string;
  actorId: string;
  correlationId: string;
  /** The log position of the event, for consumers that want to compare with a read model. */
  position: string;
  subject: LifecycleSubject;
  data: Record<string, string | null>;
};

/** Access-token issuance has a public form for the audit history but is not published: it is the busiest event and no cache needs it. */
type Publishable = PersonalTokenEvent | TenancyEvent | ServiceAccountEvent | AccessTokenIssued | AccessTokensIssued | AccessTokenRevoked | PublishableOfConnectionsAndIntegrations | ApiClientEvent | PublishableOfPeople;
/**
 * People signing in: grants (consent, code issuance and token issuance for the history only, like
 * access-token issuance; replay, reuse and revocations published so every node and consumer
 * drops those tokens at once), sessions (not their activity: the busiest and of no use to a
 * cache), invitations and signing-key rotation. Never a hash, code, token or key material.
 */
type PublishableOfPeople = UserGrantEvent | SessionStarted | SessionEnded | InvitationEvent | SigningKeyAdded;
/** Connections publish names of changed fields and who accessed them, never a secret or ciphertext; a password change, never its hash. */
type PublishableOfConnectionsAndIntegrations = ConnectionEvent | IntegrationEvent | TenantSettingsEvent | UserPasswordSet;

const userGrant = (event: UserGrantEvent) => ({ kind: 'user_grant', id: event.data.grantId }) as const;
const grantParties = (event: UserGrantEvent) => ({ userId: event.data.userId, clientId: event.data.clientId });

/** API clients publish secret ids and expiries, redirect URIs and flow settings; never a hash or a hint. */
const apiClient = (clientId: string) => ({ kind: 'api_client', id: clientId }) as const;

const subjectAndData = (event: Publishable): { subject: LifecycleSubject; data: LifecycleMessage['data'] } => {
  switch (event.type) {
    case 'TenantCreated':
      return { subject: { kind: 'tenant', id: event.data.tenantId }, data: { slug: event.data.slug } };
    case 'UserAdded':
      return { subject: { kind: 'user', id: event.data.userId }, data: { role: event.data.role } };
    case 'UserRoleChanged':
      return {
        subject: { kind: 'user', id: event.data.userId },
        data: { previousRole: event.data.previousRole, role: event.data.role },
      };
    case 'TokenIssued':
      return {
        subject: { kind: 'personal_api_token', id: event.data.tokenId },
        data: { ownerId: event.data.ownerId, scope: event.data.scope, expiresAt: event.data.expiresAt },
      };
    case 'TokenRevoked':
      return {
        subject: { kind: 'personal_api_token', id: event.data.tokenId },
        data: { ownerId: event.data.ownerId, revokedAt: event.data.revokedAt, revokedBy: event.data.revokedBy },
      };
    case 'ServiceAccountCreated':
      return { subject: { kind: 'service_account', id: event.data.accountId }, data: { sunsetAt: event.data.sunsetAt } };
    case 'ServiceAccountPermissionGranted':
    case 'ServiceAccountPermissionRemoved':
      return { subject: { kind: 'service_account', id: event.data.accountId }, data: { permission: event.data.permission } };
    case 'ServiceAccountProjectJoined':
    case 'ServiceAccountProjectLeft':
      return { subject: { kind: 'service_account', id: event.data.accountId }, data: { projectId: event.data.projectId } };
    case 'ClientSecretReset':
    case 'ServiceAccountPermissionsReset':
      return { subject: { kind: 'service_account', id: event.data.accountId }, data: { generation: String(event.data.generation) } };
    case 'ServiceAccountSunsetChanged':
      return { subject: { kind: 'service_account', id: event.data.accountId }, data: { sunsetAt: event.data.sunsetAt } };
    case 'ServiceAccountDeleted':
      return { subject: { kind: 'service_account', id: event.data.accountId }, data: {} };
    case 'ServiceAccountCommandKeyRegistered':
      return { subject: { kind: 'service_account', id: event.data.accountId }, data: { thumbprint: event.data.thumbprint } };
    case 'AccessTokenIssued':
      return {
        subject: { kind: 'access_token', id: event.data.tokenId },
        data: { clientId: event.data.clientId, clientKind: event.data.clientKind, scope: event.data.scope.join(' '), expiresAt: event.data.expiresAt },
      };
    case 'AccessTokenRevoked':
      return { subject: { kind: 'access_token', id: event.data.tokenId }, data: { clientId: event.data.clientId } };
    case 'AccessTokensIssued':
      return {
        subject: { kind: event.data.clientKind, id: event.data.clientId },
        data: { windowStart: event.data.windowStart, windowEnd: event.data.windowEnd, tokenId: event.data.tokenId, scope: event.data.scope.join(' '), expiresAt: event.data.expiresAt },
      };
    case 'ConnectionCreated':
      return {
        subject: { kind: 'connection', id: event.data.connectionId },
        data: { name: event.data.name, service: event.data.service, credentialType: event.data.credential.type },
      };
    case 'ConnectionUpdated':
      return { subject: { kind: 'connection', id: event.data.connectionId }, data: { changedFields: event.data.changedFields.join(',') } };
    case 'ConnectionDeleted':
      return { subject: { kind: 'connection', id: event.data.connectionId }, data: { deletedAt: event.data.deletedAt } };
    case 'ConnectionCredentialAccessed':
      return {
        subject: { kind: 'connection', id: event.data.connectionId },
        data: { accessedBy: event.data.accessedBy, actorKind: event.data.actorKind, targetDomain: event.data.targetDomain },
      };
    case 'ConnectionAccessTokenFetched':
      return { subject: { kind: 'connection', id: event.data.connectionId }, data: { host: event.data.host, expiresAt: event.data.expiresAt } };
    case 'ConnectionAccessTokenFetchFailed':
      return { subject: { kind: 'connection', id: event.data.connectionId }, data: { host: event.data.host, attempts: String(event.data.attempts) } };
    case 'IntegrationCreated':
      return {
        subject: { kind: 'integration', id: event.data.integrationId },
        data: { name: event.data.name, resourceAccess: event.data.resourceAccess, insecure: String(event.data.insecure) },
      };
    case 'IntegrationActivated':
      return { subject: { kind: 'integration', id: event.data.integrationId }, data: { accessTokenId: event.data.accessToken.id } };
    case 'IntegrationActivationStarted':
      return { subject: { kind: 'integration', id: event.data.integrationId }, data: { startedAt: event.data.startedAt } };
    case 'IntegrationCallbackDelivered':
      return {
        subject: { kind: 'integration', id: event.data.integrationId },
        data: { host: event.data.host, attempts: String(event.data.attempts), status: String(event.data.status) },
      };
    case 'IntegrationCallbackFailed':
      return { subject: { kind: 'integration', id: event.data.integrationId }, data: { host: event.data.host, attempts: String(event.data.attempts) } };
    case 'IntegrationRequestTokenIssued':
      return { subject: { kind: 'integration', id: event.data.integrationId }, data: { expiresAt: event.data.expiresAt } };
    case 'IntegrationActivationConfirmed':
      return { subject: { kind: 'integration', id: event.data.integrationId }, data: { confirmedAt: event.data.confirmedAt } };
    case 'IntegrationReauthorized':
      return {
        subject: { kind: 'integration', id: event.data.integrationId },
        data: { accessTokenId: event.data.accessToken.id, previousAccessTokenId: event.data.previousAccessTokenId },
      };
    case 'IntegrationDeleted':
      return { subject: { kind: 'integration', id: event.data.integrationId }, data: { revokedAccessTokenId: event.data.revokedAccessTokenId } };
    case 'AnonymousGuestAccessChanged':
      return { subject: { kind: 'tenant', id: event.data.tenantId }, data: { allowAnonymousGuestAccess: String(event.data.allowed) } };
    case 'ClientSecretMaxLifetimeChanged':
      return {
        subject: { kind: 'tenant', id: event.data.tenantId },
        data: { clientSecretMaxLifetimeDays: event.data.maxDays === null ? null : String(event.data.maxDays) },
      };
    case 'UserPasswordSet':
      return { subject: { kind: 'user', id: event.data.userId }, data: {} };
    case 'ApiClientCreated':
    case 'ApiClientRenamed':
    case 'ApiClientDeleted':
      return { subject: apiClient(event.data.clientId), data: {} };
    case 'ClientSecretAdded':
    case 'ClientSecretExpired':
      return { subject: apiClient(event.data.clientId), data: { secretId: event.data.secretId, expiresAt: event.data.expiresAt } };
    case 'ClientSecretRemoved':
      return { subject: apiClient(event.data.clientId), data: { secretId: event.data.secretId } };
    case 'RedirectUriAdded':
    case 'RedirectUriRemoved':
      return { subject: apiClient(event.data.clientId), data: { uri: event.data.uri } };
    case 'ApiClientFlowsChanged': {
      const { requirePkce, refreshTokens, password, clientCredentials, clientCredentialsRoles } = event.data.flows;
      return {
        subject: apiClient(event.data.clientId),
        data: {
          requirePkce: String(requirePkce),
          refreshTokens: String(refreshTokens),
          password: String(password),
          clientCredentials: String(clientCredentials),
          clientCredentialsRoles: clientCredentialsRoles.join(' '),
        },
      };
    }
    case 'ConsentGranted':
      return { subject: userGrant(event), data: { ...grantParties(event), scope: event.data.scope.join(' ') } };
    case 'ConsentWithdrawn':
      return { subject: userGrant(event), data: grantParties(event) };
    case 'AuthorizationCodeIssued':
      return { subject: userGrant(event), data: { ...grantParties(event), codeId: event.data.codeId, scope: event.data.scope.join(' '), expiresAt: event.data.expiresAt } };
    case 'UserTokensIssued':
      return {
        subject: userGrant(event),
        data: { ...grantParties(event), via: event.data.via, familyId: event.data.familyId, accessTokenId: event.data.accessTokenId, scope: event.data.scope.join(' '), expiresAt: event.data.expiresAt },
      };
    case 'AuthorizationCodeReplayed':
      return { subject: userGrant(event), data: { ...grantParties(event), codeId: event.data.codeId } };
    case 'RefreshTokenReused':
      return { subject: userGrant(event), data: { ...grantParties(event), familyId: event.data.familyId } };
    case 'UserTokensRevoked':
      return {
        subject: userGrant(event),
        data: { ...grantParties(event), reason: event.data.reason, familyIds: event.data.familyIds.join(' '), accessTokenIds: event.data.accessTokenIds.join(' ') },
      };
    case 'SessionStarted':
      return { subject: { kind: 'session', id: event.data.sessionId }, data: { userId: event.data.userId, absoluteExpiresAt: event.data.absoluteExpiresAt } };
    case 'SessionEnded':
      return { subject: { kind: 'session', id: event.data.sessionId }, data: { userId: event.data.userId, reason: event.data.reason } };
    case 'InvitationIssued':
      return { subject: { kind: 'user', id: event.data.userId }, data: { invitationId: event.data.invitationId, expiresAt: event.data.expiresAt } };
    case 'InvitationAccepted':
      return { subject: { kind: 'user', id: event.data.userId }, data: { invitationId: event.data.invitationId } };
    case 'SigningKeyAdded':
      return { subject: { kind: 'signing_key', id: event.data.kid }, data: { alg: event.data.alg, previousKid: event.data.previousKid } };
    default:
      return assertNever(event);
  }
};

/** Issuance of codes and of people's tokens: in the audit history, not on the topic (the busiest events, of no use to a cache). */
const HISTORY_ONLY_TYPES = new Set<string>(['AccessTokenIssued', 'AccessTokensIssued', 'AuthorizationCodeIssued', 'UserTokensIssued']);

const PUBLISHED_TYPES = new Set<string>([
  'TenantCreated',
  'UserAdded',
  'UserRoleChanged',
  'TokenIssued',
  'TokenRevoked',
  'ServiceAccountCreated',
  'ServiceAccountPermissionGranted',
  'ServiceAccountPermissionRemoved',
  'ServiceAccountProjectJoined',
  'ServiceAccountProjectLeft',
  'ClientSecretReset',
  'ServiceAccountPermissionsReset',
  'ServiceAccountSunsetChanged',
  'ServiceAccountDeleted',
  'ServiceAccountCommandKeyRegistered',
  'AccessTokenRevoked',
  'ConnectionCreated',
  'ConnectionUpdated',
  'ConnectionDeleted',
  'ConnectionCredentialAccessed',
  'ConnectionAccessTokenFetched',
  'ConnectionAccessTokenFetchFailed',
  'IntegrationCreated',
  'IntegrationActivationStarted',
  'IntegrationCallbackDelivered',
  'IntegrationCallbackFailed',
  'IntegrationRequestTokenIssued',
  'IntegrationActivated',
  'IntegrationActivationConfirmed',
  'IntegrationReauthorized',
  'IntegrationDeleted',
  'AnonymousGuestAccessChanged',
  'ClientSecretMaxLifetimeChanged',
  'UserPasswordSet',
  'ApiClientCreated',
  'ApiClientRenamed',
  'ClientSecretAdded',
  'ClientSecretRemoved',
  'ClientSecretExpired',
  'RedirectUriAdded',
  'RedirectUriRemoved',
  'ApiClientFlowsChanged',
  'ApiClientDeleted',
  'ConsentGranted',
  'ConsentWithdrawn',
  'AuthorizationCodeReplayed',
  'RefreshTokenReused',
  'UserTokensRevoked',
  'SessionStarted',
  'SessionEnded',
  'InvitationIssued',
  'InvitationAccepted',
  'SigningKeyAdded',
]);

/** The message for a stored event, or null for events that are not part of the contract. */
export const lifecycleMessageFor = (event: {
  streamName: string;
  globalPosition: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}): { key: string; value: string; headers: Record<string, string> } | null => {
  if (!PUBLISHED_TYPES.has(event.type)) return null;
  const { subject, data } = subjectAndData({ type: event.type, data: event.data } as Publishable);
  const message: LifecycleMessage = {
    schema: LIFECYCLE_SCHEMA,
    eventId: event.metadata.eventId,
    eventType: event.type,
    occurredAt: event.metadata.occurredAt,
    tenantId: event.metadata.tenantId,
    actorId: event.metadata.actorId,
    correlationId: event.metadata.correlationId,
    position: event.globalPosition,
    subject,
    data,
  };
  return {
    key: event.streamName.slice(categoryOf(event.streamName).length + 1),
    value: JSON.stringify(message),
    headers: {
      [LIFECYCLE_HEADERS.eventId]: message.eventId,
      [LIFECYCLE_HEADERS.eventType]: message.eventType,
      [LIFECYCLE_HEADERS.schema]: LIFECYCLE_SCHEMA,
      [LIFECYCLE_HEADERS.tenantId]: message.tenantId,
      [LIFECYCLE_HEADERS.correlationId]: message.correlationId,
    },
  };
};

/**
 * The subject and whitelisted data of an event, exactly as the message carries them, or null for
 * events outside the contract: the audit history shows this form too, so both have one definition.
 */
export const publicFormOf = (event: { type: string; data: unknown }): Pick<LifecycleMessage, 'subject' | 'data'> | null =>
  PUBLISHED_TYPES.has(event.type) || HISTORY_ONLY_TYPES.has(event.type) ? subjectAndData(event as Publishable) : null;
