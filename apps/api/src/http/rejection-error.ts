import { DomainRejection, RejectionCode } from '@keyhold/domain';
import { Problem, ProblemKind } from './problem';

/** Complete by type: a rejection code without a problem kind fails `tsc`. */
const KIND_BY_REJECTION: Record<RejectionCode, ProblemKind> = {
  LabelTaken: 'label-taken',
  ExpiryNotInFuture: 'validation-error',
  TooManyActiveTokens: 'too-many-tokens',
  IdempotencyKeyReused: 'idempotency-key-reused',
  TokenNotFound: 'not-found',
  TenantExists: 'tenant-exists',
  TenantNotFound: 'not-found',
  EmailTaken: 'email-taken',
  UserNotFound: 'not-found',
  LastAdmin: 'last-admin',
  ServiceAccountExists: 'concurrent-modification',
  ServiceAccountNotFound: 'not-found',
  PermissionsResetPending: 'permissions-reset-pending',
  SunsetNotInFuture: 'validation-error',
  LegacyAccountsClosed: 'service-accounts-closed',
  InvalidProjectId: 'validation-error',
  GenerationUnknown: 'validation-error',
  ConnectionExists: 'concurrent-modification',
  ConnectionNotFound: 'not-found',
  ConnectionDeleted: 'connection-deleted',
  NoAllowedDomains: 'validation-error',
  SecretMissing: 'validation-error',
  FieldNotApplicable: 'validation-error',
  CredentialTypeImmutable: 'immutable-field',
  OAuthClientFieldImmutable: 'immutable-field',
  TokenUrlNotAllowed: 'validation-error',
  DomainNotAllowed: 'domain-not-allowed',
  IntegrationNameTaken: 'integration-name-taken',
  UnknownResource: 'unknown-resource',
  ResourcesMismatch: 'validation-error',
  InvalidUrl: 'validation-error',
  TooManyIntegrations: 'too-many-integrations',
  IntegrationNotFound: 'not-found',
  IntegrationDeleted: 'integration-deleted',
  IntegrationAlreadyActive: 'integration-already-active',
  IntegrationNotActive: 'integration-not-active',
  IntegrationNotActivating: 'integration-not-active',
  RequestTokenInvalid: 'unauthenticated',
  VerifierInvalid: 'unauthenticated',
  ReturnStateInvalid: 'validation-error',
  PasswordChangedConcurrently: 'concurrent-modification',
  ApiClientExists: 'concurrent-modification',
  ApiClientNotFound: 'not-found',
  ClientSecretExists: 'concurrent-modification',
  ClientSecretNotFound: 'not-found',
  ClientSecretNotExpired: 'validation-error',
  SecretExpiryNotInFuture: 'validation-error',
  TooManyClientSecrets: 'too-many-client-secrets',
  RedirectUriInvalid: 'validation-error',
  TooManyRedirectUris: 'too-many-redirect-uris',
  UnknownRole: 'validation-error',
  KafkaCommandAlreadyReceived: 'concurrent-modification',
  KafkaCommandNotReceived: 'not-found',
  InvitationNotFound: 'invitation-invalid',
  InvitationExpired: 'invitation-invalid',
  InvitationAlreadyAccepted: 'invitation-accepted',
  SessionExists: 'concurrent-modification',
  SessionNotFound: 'not-found',
  SessionOver: 'unauthenticated',
  ConsentRequired: 'forbidden',
  InvalidGrant: 'validation-error',
  GrantNotFound: 'not-found',
  RotationNotDue: 'concurrent-modification',
  AuthorityExceeded: 'authority-exceeded',
};

/** Carries a domain refusal out of a command handler to the edge that maps it to its protocol. */
export class RejectionError extends Error {
  constructor(readonly rejection: DomainRejection) {
    super(rejection.message);
    this.name = 'RejectionError';
  }

  toProblem(): Problem {
    const missing = 'missing' in this.rejection ? { missingPermissions: this.rejection.missing } : {};
    return new Problem(KIND_BY_REJECTION[this.rejection.code], this.rejection.message, {
      code: this.rejection.code,
      ...missing,
    });
  }
}
