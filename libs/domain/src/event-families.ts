import { AccessTokenEvent } from './access-tokens/access-tokens';
import { ApiClientEvent } from './api-clients/api-clients';
import { ConnectionEvent } from './connections/connections';
import { IntegrationEvent } from './integrations/integrations';
import { KafkaCommandEvent } from './kafka-commands/kafka-commands';
import { PersonalTokenEvent } from './personal-tokens/personal-tokens';
import { ServiceAccountEvent } from './service-accounts/service-accounts';
import { eventFamily } from './shared/event-family';
import { InvitationEvent } from './sign-in/invitations';
import { SessionEvent } from './sign-in/sessions';
import { SigningKeyEvent } from './sign-in/signing-keys';
import { UserGrantEvent } from './sign-in/user-grants';
import { TenancyEvent } from './tenancy/tenancy';
import { TenantSettingsEvent } from './tenancy/tenant-settings';
import { UserPasswordEvent } from './tenancy/user-passwords';

/** Each aggregate's event types, complete by type: how readers of the log get typed events. */
export const TENANCY_EVENTS = eventFamily<TenancyEvent>({ TenantCreated: true, UserAdded: true, UserRoleChanged: true });
export const TENANT_SETTINGS_EVENTS = eventFamily<TenantSettingsEvent>({ AnonymousGuestAccessChanged: true, ClientSecretMaxLifetimeChanged: true });
export const USER_PASSWORD_EVENTS = eventFamily<UserPasswordEvent>({ UserPasswordSet: true });
export const PERSONAL_TOKEN_EVENTS = eventFamily<PersonalTokenEvent>({ TokenIssued: true, TokenRevoked: true });
export const ACCESS_TOKEN_EVENTS = eventFamily<AccessTokenEvent>({ AccessTokenIssued: true, AccessTokensIssued: true, AccessTokenRevoked: true });
export const SERVICE_ACCOUNT_EVENTS = eventFamily<ServiceAccountEvent>({
  ServiceAccountCreated: true,
  ServiceAccountPermissionGranted: true,
  ServiceAccountPermissionRemoved: true,
  ServiceAccountProjectJoined: true,
  ServiceAccountProjectLeft: true,
  ClientSecretReset: true,
  ServiceAccountPermissionsReset: true,
  ServiceAccountSunsetChanged: true,
  ServiceAccountDeleted: true,
  ServiceAccountCommandKeyRegistered: true,
});
export const API_CLIENT_EVENTS = eventFamily<ApiClientEvent>({
  ApiClientCreated: true,
  ApiClientRenamed: true,
  ClientSecretAdded: true,
  ClientSecretRemoved: true,
  ClientSecretExpired: true,
  RedirectUriAdded: true,
  RedirectUriRemoved: true,
  ApiClientFlowsChanged: true,
  ApiClientDeleted: true,
});
export const CONNECTION_EVENTS = eventFamily<ConnectionEvent>({
  ConnectionCreated: true,
  ConnectionUpdated: true,
  ConnectionDeleted: true,
  ConnectionCredentialAccessed: true,
  ConnectionAccessTokenFetched: true,
  ConnectionAccessTokenFetchFailed: true,
});
export const INTEGRATION_EVENTS = eventFamily<IntegrationEvent>({
  IntegrationCreated: true,
  IntegrationActivationStarted: true,
  IntegrationCallbackDelivered: true,
  IntegrationCallbackFailed: true,
  IntegrationRequestTokenIssued: true,
  IntegrationActivated: true,
  IntegrationActivationConfirmed: true,
  IntegrationReauthorized: true,
  IntegrationDeleted: true,
});
export const SESSION_EVENTS = eventFamily<SessionEvent>({ SessionStarted: true, SessionActive: true, SessionEnded: true });
export const SIGNING_KEY_EVENTS = eventFamily<SigningKeyEvent>({ SigningKeyAdded: true });
export const INVITATION_EVENTS = eventFamily<InvitationEvent>({ InvitationIssued: true, InvitationAccepted: true });
export const USER_GRANT_EVENTS = eventFamily<UserGrantEvent>({
  ConsentGranted: true,
  ConsentWithdrawn: true,
  AuthorizationCodeIssued: true,
  UserTokensIssued: true,
  AuthorizationCodeReplayed: true,
  RefreshTokenReused: true,
  UserTokensRevoked: true,
});
export const KAFKA_COMMAND_EVENTS = eventFamily<KafkaCommandEvent>({ KafkaCommandReceived: true, KafkaCommandCompleted: true });
