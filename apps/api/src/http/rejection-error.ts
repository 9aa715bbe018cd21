import { Rejection } from '@keyhold/domain';
import { Problem, ProblemKind } from './problem';

const KIND_BY_REJECTION: Record<string, ProblemKind> = {
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
  GenerationUnknown: 'validation-error',
  AccessTokenExists: 'concurrent-modification',
  AccessTokenNotFound: 'not-found',
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
  AuthorityExceeded: 'authority-exceeded',
};

/** Carries a domain refusal out of a command handler to the edge that maps it to its protocol. */
export class RejectionError extends Error {
  constructor(readonly rejection: Rejection<string>) {
    super(rejection.message);
    this.name = 'RejectionError';
  }

  toProblem(): Problem {
    const missing = 'missing' in this.rejection ? { missingPermissions: this.rejection.missing } : {};
    return new Problem(KIND_BY_REJECTION[this.rejection.code] ?? 'validation-error', this.rejection.message, {
      code: this.rejection.code,
      ...missing,
    });
  }
}
