import { Injectable } from '@nestjs/common';
import { hasExpired, Permission, PERMISSIONS, ROLE_PERMISSIONS, USER_GRANT_EVENTS } from '@keyhold/domain';
import { SecretHash } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { CredentialKindIndex } from './credential-kind-index';
import { HashedSecretMap, HashedSecretMapState } from './hashed-secret-map';
import { PersonalTokenIndex } from './personal-token-index';
import { Principal } from './principal';

type LiveUserAccessToken = {
  readonly tokenId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scope: readonly string[];
  readonly issuedAt: string;
  readonly expiresAt: string;
};

/**
 * Access tokens that people obtained through OAuth clients (authorization code, refresh,
 * password grants). Rights are computed at verification: the user's current role's
 * permissions ∩ the granted scope, so a demotion narrows every such token at the next request
 * on every node that has applied it; revocations (consent withdrawn, code replay, refresh-token
 * reuse) remove them as their event is applied.
 */
@Injectable()
export class UserGrantIndex implements CredentialKindIndex<HashedSecretMapState<LiveUserAccessToken>> {
  readonly kind = 'userAccessToken' as const;
  private readonly tokens = new HashedSecretMap<LiveUserAccessToken>();

  constructor(private readonly users: PersonalTokenIndex) {}

  apply(event: RecordedEvent): void {
    if (!USER_GRANT_EVENTS.includes(event)) return;
    switch (event.type) {
      case 'UserTokensIssued': {
        const { accessTokenId, accessTokenHash, hashKeyId, tenantId, userId, clientId, scope, issuedAt, expiresAt } = event.data;
        this.tokens.set(accessTokenId, { hash: accessTokenHash, keyId: hashKeyId }, { tokenId: accessTokenId, tenantId, userId, clientId, scope, issuedAt, expiresAt });
        return;
      }
      case 'UserTokensRevoked':
        for (const tokenId of event.data.accessTokenIds) this.tokens.delete(tokenId);
        return;
      default:
        return;
    }
  }

  verify(candidates: () => readonly SecretHash[], now: string): Principal | null {
    const token = this.tokens.find(candidates());
    if (!token || hasExpired(token.expiresAt, now)) return null;
    const user = this.users.user(token.userId);
    if (!user || user.tenantId !== token.tenantId) return null;
    const permissions = [...ROLE_PERMISSIONS[user.role]].filter((permission) => token.scope.includes(permission));
    return {
      tenantId: token.tenantId,
      actor: { kind: 'user', id: token.userId },
      credential: { kind: this.kind, id: token.tokenId },
      scope: token.scope.join(' '),
      permissions: new Set<Permission>(permissions),
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
      clientId: token.clientId,
    };
  }

  get size(): number {
    return this.tokens.size;
  }

  state(): HashedSecretMapState<LiveUserAccessToken> {
    return this.tokens.state();
  }

  restore(state: HashedSecretMapState<LiveUserAccessToken>): void {
    this.tokens.restore(state);
  }
}

/** Scope values a person's token may carry: every permission, and OpenID Connect's `openid`. */
export const PEOPLE_SCOPES: readonly string[] = [...Object.keys(PERMISSIONS), 'openid'];
