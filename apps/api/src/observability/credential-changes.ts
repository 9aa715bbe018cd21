import { SecretKind } from '@keyhold/crypto';

export type CredentialChange = { readonly kind: SecretKind; readonly change: 'issued' | 'revoked' };

/**
 * The events that hand out or take back a secret, and which kind of secret. An API client's
 * creation brings its first secret as a ClientSecretAdded of its own; a service account's secret
 * is handed out at creation and at each reset. Expiry is not revocation, and is not counted here.
 */
const CHANGES: Readonly<Record<string, CredentialChange>> = {
  TokenIssued: { kind: 'personalApiToken', change: 'issued' },
  TokenRevoked: { kind: 'personalApiToken', change: 'revoked' },
  // A sealed access token is issued without an event of its own: IssueAccessTokenHandler counts it.
  AccessTokenRevoked: { kind: 'accessToken', change: 'revoked' },
  ClientSecretAdded: { kind: 'clientSecret', change: 'issued' },
  ClientSecretRemoved: { kind: 'clientSecret', change: 'revoked' },
  ServiceAccountCreated: { kind: 'clientSecret', change: 'issued' },
  ClientSecretReset: { kind: 'clientSecret', change: 'issued' },
  IntegrationActivated: { kind: 'integrationAccessToken', change: 'issued' },
  IntegrationReauthorized: { kind: 'integrationAccessToken', change: 'issued' },
};

export const credentialChangeOf = (eventType: string): CredentialChange | null => CHANGES[eventType] ?? null;
