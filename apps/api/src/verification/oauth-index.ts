import { RevocableAccessToken } from '@keyhold/application';
import { Injectable } from '@nestjs/common';
import {
  hasExpired,
  ACCESS_TOKEN_EVENTS,
  AccessTokenClaims,
  actingPermissions,
  API_CLIENT_EVENTS,
  ApiClientFlows,
  ApiClientEvent,
  apiClientDecider,
  apiClientPermissions,
  ApiClientState,
  decodeAccessTokenClaims,
  encodeAccessTokenClaims,
  liveSecrets,
  OAuthClientKind,
  Permission,
  SERVICE_ACCOUNT_EVENTS,
  serviceAccountDecider,
  ServiceAccountState,
} from '@keyhold/domain';
import { openSealedSecret, parseSecret, ProcessLocalDigest, sealSecret, SecretHash, SecretHasher } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { CredentialKindIndex } from './credential-kind-index';
import { HashedSecretMap, HashedSecretMapState } from './hashed-secret-map';
import { EarlyDenials } from './early-denials';
import { Principal } from './principal';

/**
 * What verification knows of an OAuth client: the domain's own state of it, folded with the
 * domain's `evolve`, so that "active", "sunset", "reset pending" and "secret live" mean here
 * exactly what the deciders mean; beside it only the stored hashes of its secrets.
 */
type IndexedClient =
  | { readonly kind: 'service_account'; readonly state: ServiceAccountState; readonly secret: SecretHash | null }
  | { readonly kind: 'api_client'; readonly state: ApiClientState; readonly secrets: ReadonlyMap<string, SecretHash> };

/** Grant types (RFC 6749) a client may be allowed to use. */
export type OAuthGrant = 'authorization_code' | 'client_credentials' | 'refresh_token' | 'password';

/** A token issued before tokens were sealed (one `AccessTokenIssued` each): found by its hash until it expires. */
type LegacyAccessToken = Omit<AccessTokenClaims, 'tenantId' | 'clientKind'>;

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

/** An access token as its client may revoke it (RFC 7009). */

const SERVICE_ACCOUNT_GRANTS: ReadonlySet<OAuthGrant> = new Set(['client_credentials']);
/** How often the revoked set drops the tokens that have expired since: they are refused by their expiry anyway. */
const PRUNE_EVERY_MS = 60_000;

/** The authorization code flow is always on; the others follow the client's settings. */
const apiClientGrants = (flows: ApiClientFlows): ReadonlySet<OAuthGrant> =>
  new Set<OAuthGrant>([
    'authorization_code',
    ...(flows.clientCredentials ? (['client_credentials'] as const) : []),
    ...(flows.refreshTokens ? (['refresh_token'] as const) : []),
    ...(flows.password ? (['password'] as const) : []),
  ]);

/** The hashes of an API client's secrets that may still authenticate: a removed or expired one is forgotten. */
const secretsAfter = (secrets: ReadonlyMap<string, SecretHash>, event: ApiClientEvent): ReadonlyMap<string, SecretHash> => {
  switch (event.type) {
    case 'ClientSecretAdded':
      return new Map([...secrets, [event.data.secretId, storedHash(event.data.secret)]]);
    case 'ClientSecretRemoved':
    case 'ClientSecretExpired':
      return new Map([...secrets].filter(([secretId]) => secretId !== event.data.secretId));
    case 'ApiClientDeleted':
      return new Map();
    default:
      return secrets;
  }
};

const storedHash = (secret: { secretHash: string; hashKeyId: string }): SecretHash => ({ hash: secret.secretHash, keyId: secret.hashKeyId });

export type OAuthIndexState = {
  readonly clients: ReadonlyMap<string, IndexedClient>;
  readonly legacyTokens: HashedSecretMapState<LegacyAccessToken>;
  readonly revoked: ReadonlyMap<string, number>;
};

/**
 * OAuth clients, and what the log says of access tokens: revocations, and the tokens issued
 * before tokens were sealed. An access token is sealed (`sealSecret`): its claims and a MAC, so
 * verifying one needs no record of it; rights are computed at verification from the client's
 * current state, so removing a permission, resetting a secret or deleting the client takes
 * effect on every outstanding token at once, and a revoked token is denied until it expires.
 */
@Injectable()
export class OAuthIndex implements CredentialKindIndex<OAuthIndexState> {
  readonly kind = 'accessToken' as const;
  private clients = new Map<string, IndexedClient>();
  private readonly legacyTokens = new HashedSecretMap<LegacyAccessToken>();
  /** Revoked tokens by id, with their expiry in ms: bounded by the revocations of one token lifetime. */
  private revoked = new Map<string, number>();
  private pruneAt = 0;
  /**
   * For each stored secret hash, the last presented secret found to match it, as its
   * process-local digest (never the secret): a client authenticating again with the same secret
   * costs one SHA-256 instead of an HMAC per hash key and the decoding of both hashes. What it
   * remembers is a fact about two values, true whatever the client's state: a reset or removed
   * secret's hash is no longer one the client holds, so it is never asked about.
   * Keyed weakly by the stored hash, it holds no more entries than the index holds hashes.
   */
  private readonly matchedSecrets = new WeakMap<SecretHash, string>();
  private readonly matchedSecretDigest = new ProcessLocalDigest();

  constructor(
    private readonly hasher: SecretHasher,
    private readonly denials: EarlyDenials,
  ) {}

  apply(recorded: RecordedEvent): void {
    if (SERVICE_ACCOUNT_EVENTS.includes(recorded)) {
      const id = recorded.data.accountId;
      const client = this.clients.get(id);
      const previous = client?.kind === 'service_account' ? client : { state: serviceAccountDecider.initialState(), secret: null };
      const secret = recorded.type === 'ServiceAccountCreated' || recorded.type === 'ClientSecretReset' ? storedHash(recorded.data.secret) : previous.secret;
      this.clients.set(id, { kind: 'service_account', state: serviceAccountDecider.evolve(previous.state, recorded), secret });
    } else if (API_CLIENT_EVENTS.includes(recorded)) {
      const id = recorded.data.clientId;
      const client = this.clients.get(id);
      const previous = client?.kind === 'api_client' ? client : { state: apiClientDecider.initialState(), secrets: new Map<string, SecretHash>() };
      this.clients.set(id, { kind: 'api_client', state: apiClientDecider.evolve(previous.state, recorded), secrets: secretsAfter(previous.secrets, recorded) });
    } else if (ACCESS_TOKEN_EVENTS.includes(recorded)) {
      switch (recorded.type) {
        case 'AccessTokenIssued': {
          const { tokenId, clientId, scope, clientGeneration, issuedAt, expiresAt, secretHash, hashKeyId } = recorded.data;
          const clientSecretId = recorded.data.clientSecretId ?? null;
          this.legacyTokens.set(tokenId, { hash: secretHash, keyId: hashKeyId }, { tokenId, clientId, scope, clientGeneration, clientSecretId, issuedAt, expiresAt });
          return;
        }
        case 'AccessTokenRevoked':
          this.legacyTokens.delete(recorded.data.tokenId);
          if (recorded.data.expiresAt !== undefined) this.revoked.set(recorded.data.tokenId, Date.parse(recorded.data.expiresAt));
          return;
        case 'AccessTokensIssued':
          return;
      }
    }
  }

  /** A sealed access token for `claims`, under the current hash key: the token is its own record. */
  seal(claims: AccessTokenClaims): string {
    return sealSecret('accessToken', encodeAccessTokenClaims(claims), this.hasher);
  }

  /** Checks a client's id and secret as presented at the token or revocation endpoint. */
  authenticateClient(clientId: string, secret: string, now: string): AuthenticatedClient | ClientAuthFailure {
    if (parseSecret(secret) !== 'clientSecret') return 'malformed';
    const client = this.clients.get(clientId);
    if (!client || client.state.status !== 'active' || this.denials.deniesClient(clientId)) return 'unknown';
    const salted = this.matchedSecretDigest.of(secret);
    let candidates: SecretHash[] | null = null;
    const matches = (stored: SecretHash) => {
      if (this.matchedSecrets.get(stored) === salted) return true;
      candidates ??= this.hasher.candidateHashes(secret);
      if (!candidates.some((candidate) => SecretHasher.sameHash(candidate, stored))) return false;
      this.matchedSecrets.set(stored, salted);
      return true;
    };
    if (client.kind === 'service_account') {
      if (!client.secret || !matches(client.secret)) return 'wrong_secret';
      return actingPermissions(client.state, now) === null ? 'sunset' : this.describe(client, now, null)!;
    }
    const secretId = [...client.secrets].find(([, stored]) => matches(stored))?.[0];
    if (secretId === undefined || this.denials.deniesClient(clientId, secretId)) return 'wrong_secret';
    if (!this.secretLive(client, secretId, now)) return 'expired_secret';
    return this.describe(client, now, secretId)!;
  }

  /** The client's current standing, for a token issued to it; null once it is gone. */
  client(clientId: string, now = new Date().toISOString()): AuthenticatedClient | null {
    const client = this.clients.get(clientId);
    return client && !this.denials.deniesClient(clientId) ? this.describe(client, now, null) : null;
  }

  projectsOf(clientId: string): string[] {
    const client = this.clients.get(clientId);
    return client?.kind === 'service_account' && client.state.status !== 'none' ? [...client.state.projects].sort() : [];
  }

  verify(candidates: () => readonly SecretHash[], now: string, secret?: string): Principal | null {
    this.forgetExpiredRevocations(now);
    const token = (secret !== undefined && this.openSealed(secret)) || this.legacyToken(candidates());
    if (!token || hasExpired(token.expiresAt, now) || this.revoked.has(token.tokenId)) return null;
    const client = this.clients.get(token.clientId);
    if (!client || client.state.status === 'none' || ('tenantId' in token && token.tenantId !== client.state.tenantId)) return null;
    if ('clientKind' in token && token.clientKind !== client.kind) return null;
    const standing = this.describe(client, now, null);
    if (!standing || token.clientGeneration !== standing.generation) return null;
    if (client.kind === 'api_client' && token.clientSecretId !== null && !this.secretLive(client, token.clientSecretId, now)) return null;
    return {
      tenantId: standing.tenantId,
      actor: { kind: client.kind, id: standing.clientId },
      credential: { kind: this.kind, id: token.tokenId },
      scope: token.scope.join(' '),
      permissions: new Set(token.scope.filter((permission) => standing.permissions.has(permission))),
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
    };
  }

  /** The access token a client presents for RFC 7009 revocation, if it is one this server issued and still live. */
  revocable(secret: string, now: string): RevocableAccessToken | null {
    const sealed = this.openSealed(secret);
    if (sealed) return sealed.expiresAt > now ? sealed : null;
    const legacy = this.legacyToken(this.hasher.candidateHashes(secret));
    const client = legacy && this.clients.get(legacy.clientId);
    return legacy && client && client.state.status !== 'none' ? { ...legacy, tenantId: client.state.tenantId } : null;
  }

  /** Live tokens issued before sealing; sealed tokens are counted nowhere, they need no memory. */
  get size(): number {
    return this.legacyTokens.size;
  }

  /** How many revoked, unexpired tokens this node remembers. */
  get revokedSize(): number {
    return this.revoked.size;
  }

  state(): OAuthIndexState {
    return { clients: this.clients, legacyTokens: this.legacyTokens.state(), revoked: this.revoked };
  }

  restore(state: OAuthIndexState): void {
    this.clients = new Map(state.clients);
    this.legacyTokens.restore(state.legacyTokens);
    this.revoked = new Map(state.revoked);
  }

  private openSealed(secret: string): AccessTokenClaims | null {
    const claims = openSealedSecret('accessToken', secret, this.hasher);
    return claims && decodeAccessTokenClaims(claims);
  }

  private legacyToken(candidates: readonly SecretHash[]): LegacyAccessToken | null {
    return this.legacyTokens.find(candidates);
  }

  /** At most once a minute: a token past its expiry is refused by it, so its revocation need not be kept. */
  private forgetExpiredRevocations(now: string): void {
    const at = Date.parse(now);
    if (at < this.pruneAt) return;
    for (const [id, expiresAt] of this.revoked) if (expiresAt <= at) this.revoked.delete(id);
    this.pruneAt = at + PRUNE_EVERY_MS;
  }

  /** What the client acts with at `now`, by the domain's rules; null when it cannot act at all. */
  private describe(client: IndexedClient, now: string, secretId: string | null): AuthenticatedClient | null {
    if (client.kind === 'service_account') {
      const acting = actingPermissions(client.state, now);
      if (acting === null || client.state.status === 'none') return null;
      const { accountId, tenantId, secretGeneration } = client.state;
      return { clientId: accountId, kind: client.kind, tenantId, generation: secretGeneration, permissions: new Set(acting), grants: SERVICE_ACCOUNT_GRANTS, secretId };
    }
    if (client.state.status !== 'active') return null;
    const { clientId, tenantId, flows } = client.state;
    return { clientId, kind: client.kind, tenantId, generation: 0, permissions: apiClientPermissions(flows), grants: apiClientGrants(flows), secretId };
  }

  /** Whether an API client's secret still authenticates: tokens minted with it die with it. */
  private secretLive(client: Extract<IndexedClient, { kind: 'api_client' }>, secretId: string, now: string): boolean {
    return (
      client.state.status === 'active' &&
      liveSecrets(client.state, now).some((secret) => secret.secretId === secretId) &&
      !this.denials.deniesClient(client.state.clientId, secretId)
    );
  }
}
