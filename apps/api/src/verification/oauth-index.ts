import { Injectable } from '@nestjs/common';
import { AccessTokenEvent, ApiClientEvent, ApiClientFlows, apiClientPermissions, OAuthClientKind, Permission, ServiceAccountEvent } from '@keyhold/domain';
import { parseSecret, SecretHash, SecretHasher } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { CredentialKindIndex } from './credential-kind-index';
import { HashedSecretMap } from './hashed-secret-map';
import { EarlyDenials } from './early-denials';
import { Principal } from './principal';

type ClientSecretEntry = { readonly stored: SecretHash; readonly expiresAt: string | null };

/** What verification needs to know of an OAuth client (a service account or an API client). */
type OAuthClient = {
  readonly clientId: string;
  readonly kind: OAuthClientKind;
  readonly tenantId: string;
  deleted: boolean;
  permissions: Set<Permission>;
  projects: Set<string>;
  secrets: Map<string, ClientSecretEntry>;
  secretGeneration: number;
  permissionsGeneration: number;
  sunsetAt: string | null;
  /** An API client's flow settings; null for a service account. */
  flows: ApiClientFlows | null;
};

/** Grant types (RFC 6749) a client may be allowed to use. */
export type OAuthGrant = 'authorization_code' | 'client_credentials' | 'refresh_token' | 'password';

type LiveAccessToken = {
  readonly tokenId: string;
  readonly clientId: string;
  readonly scope: readonly Permission[];
  readonly clientGeneration: number;
  readonly clientSecretId: string | null;
  readonly issuedAt: string;
  readonly expiresAt: string;
};

export type AuthenticatedClient = {
  readonly clientId: string;
  readonly kind: OAuthClientKind;
  readonly tenantId: string;
  readonly generation: number;
  /** What the client may act with right now: nothing while a permissions reset is pending. */
  readonly permissions: ReadonlySet<Permission>;
  /** The grants this client may use; a grant outside them is `unauthorized_client`. */
  readonly grants: ReadonlySet<OAuthGrant>;
  /** The API-client secret that authenticated it, for last-use tracking; null otherwise. */
  readonly secretId: string | null;
};

/** Why a client failed to authenticate; all of them answer `invalid_client` to the caller. */
export type ClientAuthFailure = 'malformed' | 'unknown' | 'wrong_secret' | 'expired_secret' | 'sunset';

const NO_PERMISSIONS: ReadonlySet<Permission> = new Set();
const SERVICE_ACCOUNT_GRANTS: ReadonlySet<OAuthGrant> = new Set(['client_credentials']);

/** The authorization code flow is always on; the others follow the client's settings. */
const apiClientGrants = (flows: ApiClientFlows): ReadonlySet<OAuthGrant> =>
  new Set<OAuthGrant>([
    'authorization_code',
    ...(flows.clientCredentials ? (['client_credentials'] as const) : []),
    ...(flows.refreshTokens ? (['refresh_token'] as const) : []),
    ...(flows.password ? (['password'] as const) : []),
  ]);

/**
 * OAuth clients and the access tokens issued to them, built from the log. Rights are computed
 * at verification from the client's current state, so removing a permission, resetting a
 * secret or deleting the client takes effect on every outstanding token at once.
 */
@Injectable()
export class OAuthIndex implements CredentialKindIndex {
  readonly kind = 'accessToken' as const;
  private readonly clients = new Map<string, OAuthClient>();
  private readonly tokens = new HashedSecretMap<LiveAccessToken>();

  constructor(
    private readonly hasher: SecretHasher,
    private readonly denials: EarlyDenials,
  ) {}

  apply(recorded: RecordedEvent): void {
    const event = recorded as unknown as ServiceAccountEvent | ApiClientEvent | AccessTokenEvent;
    switch (event.type) {
      case 'ServiceAccountCreated': {
        const { accountId, tenantId, secret, sunsetAt } = event.data;
        this.clients.set(accountId, {
          clientId: accountId,
          kind: 'service_account',
          tenantId,
          deleted: false,
          permissions: new Set(),
          projects: new Set(),
          secrets: new Map([['current', { stored: { hash: secret.secretHash, keyId: secret.hashKeyId }, expiresAt: null }]]),
          secretGeneration: 0,
          permissionsGeneration: 0,
          sunsetAt,
          flows: null,
        });
        return;
      }
      case 'ServiceAccountPermissionGranted':
        this.withClient(event.data.accountId, (client) => client.permissions.add(event.data.permission));
        return;
      case 'ServiceAccountPermissionRemoved':
        this.withClient(event.data.accountId, (client) => client.permissions.delete(event.data.permission));
        return;
      case 'ServiceAccountProjectJoined':
        this.withClient(event.data.accountId, (client) => client.projects.add(event.data.projectId));
        return;
      case 'ServiceAccountProjectLeft':
        this.withClient(event.data.accountId, (client) => client.projects.delete(event.data.projectId));
        return;
      case 'ClientSecretReset':
        this.withClient(event.data.accountId, (client) => {
          client.secrets = new Map([['current', { stored: { hash: event.data.secret.secretHash, keyId: event.data.secret.hashKeyId }, expiresAt: null }]]);
          client.secretGeneration = event.data.generation;
        });
        return;
      case 'ServiceAccountPermissionsReset':
        this.withClient(event.data.accountId, (client) => {
          client.permissions = new Set();
          client.projects = new Set();
          client.permissionsGeneration = event.data.generation;
        });
        return;
      case 'ServiceAccountSunsetChanged':
        this.withClient(event.data.accountId, (client) => (client.sunsetAt = event.data.sunsetAt));
        return;
      case 'ServiceAccountDeleted':
        this.withClient(event.data.accountId, (client) => (client.deleted = true));
        return;
      case 'ApiClientCreated': {
        const { clientId, tenantId, flows } = event.data;
        this.clients.set(clientId, {
          clientId,
          kind: 'api_client',
          tenantId,
          deleted: false,
          permissions: new Set(),
          projects: new Set(),
          secrets: new Map(),
          secretGeneration: 0,
          permissionsGeneration: 0,
          sunsetAt: null,
          flows,
        });
        return;
      }
      case 'ClientSecretAdded': {
        const { secretId, secret, expiresAt } = event.data;
        this.withClient(event.data.clientId, (client) => client.secrets.set(secretId, { stored: { hash: secret.secretHash, keyId: secret.hashKeyId }, expiresAt }));
        return;
      }
      case 'ClientSecretRemoved':
      case 'ClientSecretExpired':
        this.withClient(event.data.clientId, (client) => client.secrets.delete(event.data.secretId));
        return;
      case 'ApiClientFlowsChanged':
        this.withClient(event.data.clientId, (client) => (client.flows = event.data.flows));
        return;
      case 'ApiClientDeleted':
        this.withClient(event.data.clientId, (client) => {
          client.deleted = true;
          client.secrets = new Map();
        });
        return;
      case 'AccessTokenIssued': {
        const { tokenId, clientId, scope, clientGeneration, issuedAt, expiresAt, secretHash, hashKeyId } = event.data;
        const clientSecretId = event.data.clientSecretId ?? null;
        this.tokens.set(tokenId, { hash: secretHash, keyId: hashKeyId }, { tokenId, clientId, scope, clientGeneration, clientSecretId, issuedAt, expiresAt });
        return;
      }
      case 'AccessTokenRevoked':
        this.tokens.delete(event.data.tokenId);
        return;
      default:
        return;
    }
  }

  /** Checks a client's id and secret as presented at the token or revocation endpoint. */
  authenticateClient(clientId: string, secret: string, now: string): AuthenticatedClient | ClientAuthFailure {
    if (parseSecret(secret) !== 'clientSecret') return 'malformed';
    const client = this.clients.get(clientId);
    if (!client || client.deleted || this.denials.deniesClient(clientId)) return 'unknown';
    const candidates = this.hasher.candidateHashes(secret);
    const matching = [...client.secrets].find(([, entry]) => candidates.some((candidate) => SecretHasher.sameHash(candidate, entry.stored)));
    if (!matching) return 'wrong_secret';
    const [secretId, entry] = matching;
    if (this.denials.deniesClient(clientId, secretId)) return 'wrong_secret';
    if (entry.expiresAt !== null && entry.expiresAt <= now) return 'expired_secret';
    if (client.sunsetAt !== null && client.sunsetAt <= now) return 'sunset';
    return this.describe(client, client.kind === 'api_client' ? secretId : null);
  }

  /** The client's current standing, for a token issued to it; null once it is gone. */
  client(clientId: string): AuthenticatedClient | null {
    const client = this.clients.get(clientId);
    return client && !client.deleted && !this.denials.deniesClient(clientId) ? this.describe(client) : null;
  }

  projectsOf(clientId: string): string[] {
    return [...(this.clients.get(clientId)?.projects ?? [])].sort();
  }

  verify(candidates: readonly SecretHash[], now: string): Principal | null {
    const token = this.tokens.find(candidates);
    if (!token || token.expiresAt <= now) return null;
    const client = this.clients.get(token.clientId);
    if (!client || client.deleted || token.clientGeneration !== client.secretGeneration) return null;
    if (client.sunsetAt !== null && client.sunsetAt <= now) return null;
    if (token.clientSecretId !== null && !this.secretLive(client, token.clientSecretId, now)) return null;
    const held = this.describe(client).permissions;
    return {
      tenantId: client.tenantId,
      actor: { kind: client.kind, id: client.clientId },
      credential: { kind: this.kind, id: token.tokenId },
      scope: token.scope.join(' '),
      permissions: new Set(token.scope.filter((permission) => held.has(permission))),
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
    };
  }

  /** Whose an access token is, for RFC 7009 revocation by its client. */
  accessTokenOwner(candidates: readonly SecretHash[]): { tokenId: string; clientId: string } | null {
    const token = this.tokens.find(candidates);
    return token ? { tokenId: token.tokenId, clientId: token.clientId } : null;
  }

  get size(): number {
    return this.tokens.size;
  }

  private describe(client: OAuthClient, secretId: string | null = null): AuthenticatedClient {
    const pendingReset = client.permissionsGeneration < client.secretGeneration;
    return {
      clientId: client.clientId,
      kind: client.kind,
      tenantId: client.tenantId,
      generation: client.secretGeneration,
      permissions: client.flows ? apiClientPermissions(client.flows) : pendingReset ? NO_PERMISSIONS : new Set(client.permissions),
      grants: client.flows ? apiClientGrants(client.flows) : SERVICE_ACCOUNT_GRANTS,
      secretId,
    };
  }

  /** Whether an API client's secret is still there and unexpired: tokens minted with it die with it. */
  private secretLive(client: OAuthClient, secretId: string, now: string): boolean {
    const entry = client.secrets.get(secretId);
    return entry !== undefined && (entry.expiresAt === null || entry.expiresAt > now) && !this.denials.deniesClient(client.clientId, secretId);
  }

  private withClient(clientId: string, change: (client: OAuthClient) => void): void {
    const client = this.clients.get(clientId);
    if (client) change(client);
  }
}
