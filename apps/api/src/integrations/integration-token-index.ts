import { Inject, Injectable } from '@nestjs/common';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { EncryptedSecret, hasExpired, INTEGRATION_EVENTS, integrationPermissions, ResourceAccess, SealedSigningSecrets } from '@keyhold/domain';
import { SecretHash } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { CredentialKindIndex } from '../verification/credential-kind-index';
import { HashedSecretMap, HashedSecretMapState } from '../verification/hashed-secret-map';
import { Principal } from '../verification/principal';

type LiveAccessToken = {
  readonly tokenId: string;
  readonly integrationId: string;
  readonly tenantId: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  /** What recomputes its OAuth 1.0a signatures; null for tokens issued before signed calls existed. */
  readonly signing: SealedSigningSecrets | null;
};
/** When an integration access token issued at `issuedAt` stops working. */
const integrationTokenExpiry = (issuedAt: string, ttlSeconds: number): string => new Date(Date.parse(issuedAt) + ttlSeconds * 1000).toISOString();

type IndexedIntegration = {
  readonly tenantId: string;
  readonly resourceAccess: ResourceAccess;
  readonly resources: readonly string[];
  readonly signing: { readonly dataKeyId: string; readonly consumerSecret: EncryptedSecret } | null;
};
/** An integration found by its consumer key (while its handshake runs, and once active). */
export type ConsumerKeyOwner = { readonly integrationId: string; readonly tenantId: string };
/** What verifying an OAuth 1.0a-signed call needs, found by its access token. */
export type SignedCallCredentials = { readonly integrationId: string; readonly tenantId: string; readonly tokenId: string; readonly signing: SealedSigningSecrets };

export type IntegrationTokenIndexState = {
  readonly tokens: HashedSecretMapState<LiveAccessToken>;
  readonly integrations: ReadonlyMap<string, IndexedIntegration>;
  readonly consumerKeys: HashedSecretMapState<ConsumerKeyOwner>;
};

/**
 * Integration access tokens by hash. An integration has at most one live access token: a
 * reauthorization removes the previous one as its event is applied, a deletion removes it too,
 * so the old token stops working on this node before the command answers. Rights are computed
 * at each request from the resource catalogue, so `all` grows with the catalogue. A token dies
 * INTEGRATION_TOKEN_TTL_SECONDS (this process's setting, applied to every token as the index is
 * built) after it was issued; a signed call is verified through `verify` too, so it dies with it.
 */
@Injectable()
export class IntegrationTokenIndex implements CredentialKindIndex<IntegrationTokenIndexState> {
  readonly kind = 'integrationAccessToken' as const;
  private readonly tokens = new HashedSecretMap<LiveAccessToken>();
  private integrations = new Map<string, IndexedIntegration>();
  private readonly consumerKeys = new HashedSecretMap<ConsumerKeyOwner>();

  constructor(@Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig) {}

  private expiryOf(issuedAt: string): string {
    return integrationTokenExpiry(issuedAt, this.config.INTEGRATION_TOKEN_TTL_SECONDS);
  }

  apply(event: RecordedEvent): void {
    if (!INTEGRATION_EVENTS.includes(event)) return;
    switch (event.type) {
      case 'IntegrationCreated': {
        const { integrationId, tenantId, resourceAccess, resources } = event.data;
        this.integrations.set(integrationId, { tenantId, resourceAccess, resources, signing: null });
        return;
      }
      case 'IntegrationActivationStarted': {
        const { integrationId, tenantId, consumerKey } = event.data;
        this.consumerKeys.delete(integrationId);
        this.consumerKeys.set(integrationId, { hash: consumerKey.hash, keyId: consumerKey.hashKeyId }, { integrationId, tenantId });
        return;
      }
      case 'IntegrationActivated': {
        const { accessToken, integrationId, tenantId, consumerKey, sealed, activatedAt } = event.data;
        const integration = this.integrations.get(integrationId);
        if (integration) {
          const signing = sealed ? { dataKeyId: sealed.dataKeyId, consumerSecret: sealed.consumerSecret } : null;
          this.integrations.set(integrationId, { ...integration, signing });
        }
        this.consumerKeys.delete(integrationId);
        this.consumerKeys.set(integrationId, { hash: consumerKey.hash, keyId: consumerKey.hashKeyId }, { integrationId, tenantId });
        this.tokens.set(accessToken.id, { hash: accessToken.hash, keyId: accessToken.hashKeyId }, { tokenId: accessToken.id, integrationId, tenantId, issuedAt: activatedAt, expiresAt: this.expiryOf(activatedAt), signing: sealed ?? null });
        return;
      }
      case 'IntegrationReauthorized': {
        this.tokens.delete(event.data.previousAccessTokenId);
        const { accessToken, integrationId, tenantId, sealedAccessTokenSecret, reauthorizedAt } = event.data;
        const consumer = this.integrations.get(integrationId)?.signing;
        const signing = consumer && sealedAccessTokenSecret ? { ...consumer, accessTokenSecret: sealedAccessTokenSecret } : null;
        this.tokens.set(accessToken.id, { hash: accessToken.hash, keyId: accessToken.hashKeyId }, { tokenId: accessToken.id, integrationId, tenantId, issuedAt: reauthorizedAt, expiresAt: this.expiryOf(reauthorizedAt), signing });
        return;
      }
      case 'IntegrationDeleted':
        if (event.data.revokedAccessTokenId) this.tokens.delete(event.data.revokedAccessTokenId);
        this.integrations.delete(event.data.integrationId);
        this.consumerKeys.delete(event.data.integrationId);
        return;
      default:
        return;
    }
  }

  verify(candidates: () => readonly SecretHash[], now: string): Principal | null {
    return this.principalOf(this.tokens.find(candidates()), now);
  }

  /** The integration a presented consumer key belongs to, if it is activating or active. */
  consumerKeyOwner(candidates: readonly SecretHash[]): ConsumerKeyOwner | null {
    return this.consumerKeys.find(candidates);
  }

  /** What verifies a signed call with this access token, if it is live and was issued for signed calls. */
  signedCallCredentials(accessToken: readonly SecretHash[]): SignedCallCredentials | null {
    const token = this.tokens.find(accessToken);
    if (!token?.signing) return null;
    return { integrationId: token.integrationId, tenantId: token.tenantId, tokenId: token.tokenId, signing: token.signing };
  }

  private principalOf(token: LiveAccessToken | null, now: string): Principal | null {
    const integration = token && this.integrations.get(token.integrationId);
    if (!token || hasExpired(token.expiresAt, now) || !integration || integration.tenantId !== token.tenantId) return null;
    return {
      tenantId: token.tenantId,
      actor: { kind: 'integration', id: token.integrationId },
      credential: { kind: this.kind, id: token.tokenId },
      scope: integration.resourceAccess === 'all' ? 'all' : integration.resources.join(' '),
      permissions: integrationPermissions(integration.resourceAccess, integration.resources),
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
    };
  }

  get size(): number {
    return this.tokens.size;
  }

  /** Holds the signing secrets as the log does, sealed under their tenant's data key (shredding it ends them here too). */
  state(): IntegrationTokenIndexState {
    return { tokens: this.tokens.state(), integrations: this.integrations, consumerKeys: this.consumerKeys.state() };
  }

  /** Expiries follow this process's INTEGRATION_TOKEN_TTL_SECONDS, as when the log is applied, not the one the snapshot was made under. */
  restore(state: IntegrationTokenIndexState): void {
    this.tokens.restore(state.tokens, (token) => ({ ...token, expiresAt: this.expiryOf(token.issuedAt) }));
    this.integrations = new Map(state.integrations);
    this.consumerKeys.restore(state.consumerKeys);
  }
}
