import { Inject, Injectable } from '@nestjs/common';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { IntegrationEvent, integrationPermissions, ResourceAccess } from '@keyhold/domain';
import { SecretHash } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { CredentialKindIndex } from '../verification/credential-kind-index';
import { HashedSecretMap } from '../verification/hashed-secret-map';
import { Principal } from '../verification/principal';

type LiveAccessToken = {
  readonly tokenId: string;
  readonly integrationId: string;
  readonly tenantId: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
};
/** When an integration access token issued at `issuedAt` stops working. */
const integrationTokenExpiry = (issuedAt: string, ttlSeconds: number): string => new Date(Date.parse(issuedAt) + ttlSeconds * 1000).toISOString();

type IndexedIntegration = { readonly tenantId: string; readonly resourceAccess: ResourceAccess; readonly resources: readonly string[] };

/**
 * Integration access tokens by hash. An integration has at most one live access token: a
 * reauthorization removes the previous one as its event is applied, a deletion removes it too,
 * so the old token stops working on this node before the command answers. Rights are computed
 * at each request from the resource catalogue, so `all` grows with the catalogue. A token dies
 * INTEGRATION_TOKEN_TTL_SECONDS (this process's setting, applied to every token as the index is
 * built) after it was issued.
 */
@Injectable()
export class IntegrationTokenIndex implements CredentialKindIndex {
  readonly kind = 'integrationAccessToken' as const;
  private readonly tokens = new HashedSecretMap<LiveAccessToken>();
  private readonly integrations = new Map<string, IndexedIntegration>();

  constructor(@Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig) {}

  apply(recorded: RecordedEvent): void {
    const event = recorded as unknown as IntegrationEvent;
    switch (event.type) {
      case 'IntegrationCreated': {
        const { integrationId, tenantId, resourceAccess, resources } = event.data;
        this.integrations.set(integrationId, { tenantId, resourceAccess, resources });
        return;
      }
      case 'IntegrationActivated':
      case 'IntegrationReauthorized': {
        if (event.type === 'IntegrationReauthorized') this.tokens.delete(event.data.previousAccessTokenId);
        const { accessToken, integrationId, tenantId } = event.data;
        const issuedAt = event.type === 'IntegrationActivated' ? event.data.activatedAt : event.data.reauthorizedAt;
        const expiresAt = integrationTokenExpiry(issuedAt, this.config.INTEGRATION_TOKEN_TTL_SECONDS);
        this.tokens.set(accessToken.id, { hash: accessToken.hash, keyId: accessToken.hashKeyId }, { tokenId: accessToken.id, integrationId, tenantId, issuedAt, expiresAt });
        return;
      }
      case 'IntegrationDeleted':
        if (event.data.revokedAccessTokenId) this.tokens.delete(event.data.revokedAccessTokenId);
        this.integrations.delete(event.data.integrationId);
        return;
      default:
        return;
    }
  }

  verify(candidates: readonly SecretHash[], now: string): Principal | null {
    const token = this.tokens.find(candidates);
    const integration = token && this.integrations.get(token.integrationId);
    if (!token || token.expiresAt <= now || !integration || integration.tenantId !== token.tenantId) return null;
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
}
