import { Injectable } from '@nestjs/common';
import { effectivePermissions, eventFamilies, hasExpired, PERSONAL_TOKEN_EVENTS, Role, TENANCY_EVENTS, TokenScope } from '@keyhold/domain';
import { SecretHash } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { CredentialKindIndex } from './credential-kind-index';
import { HashedSecretMap } from './hashed-secret-map';
import { Principal } from './principal';

type LiveToken = {
  readonly tokenId: string;
  readonly tenantId: string;
  readonly ownerId: string;
  readonly scope: TokenScope;
  readonly issuedAt: string;
  readonly expiresAt: string | null;
};

/** The events this index folds: tokens, and the users whose current role gives tokens their rights. */
const APPLIED = eventFamilies(PERSONAL_TOKEN_EVENTS, TENANCY_EVENTS);

export type IndexedUser = { readonly tenantId: string; readonly role: Role };

/** Whose a token is, kept for every token ever issued, revoked ones included. */
export type TokenOwnership = { readonly tenantId: string; readonly ownerId: string };

/**
 * Personal API tokens by hash, and users' current roles. Revoked tokens leave the index as soon
 * as their event is applied, and a role change applies to every token of the user at the next
 * request, because rights are computed at verification from the owner's current role, not
 * copied at issue.
 */
@Injectable()
export class PersonalTokenIndex implements CredentialKindIndex {
  readonly kind = 'personalApiToken' as const;
  private readonly tokens = new HashedSecretMap<LiveToken>();
  private readonly users = new Map<string, IndexedUser>();
  /**
   * Lets a revocation find the owner's stream from the log alone, so revoking keeps working
   * while the read-model database is away: revocation is the command that must never wait.
   */
  private readonly owners = new Map<string, TokenOwnership>();

  apply(event: RecordedEvent): void {
    if (!APPLIED.includes(event)) return;
    switch (event.type) {
      case 'TokenIssued': {
        const { tokenId, tenantId, ownerId, scope, hashKeyId, secretHash, issuedAt, expiresAt } = event.data;
        this.tokens.set(tokenId, { hash: secretHash, keyId: hashKeyId }, { tokenId, tenantId, ownerId, scope, issuedAt, expiresAt });
        this.owners.set(tokenId, { tenantId, ownerId });
        return;
      }
      case 'TokenRevoked':
        this.tokens.delete(event.data.tokenId);
        return;
      case 'UserAdded':
      case 'UserRoleChanged':
        this.users.set(event.data.userId, { tenantId: event.data.tenantId, role: event.data.role });
        return;
      default:
        return;
    }
  }

  verify(candidates: readonly SecretHash[], now: string): Principal | null {
    const token = this.tokens.find(candidates);
    if (!token || hasExpired(token.expiresAt, now)) return null;
    const owner = this.users.get(token.ownerId);
    if (!owner || owner.tenantId !== token.tenantId) return null;
    return {
      tenantId: token.tenantId,
      actor: { kind: 'user', id: token.ownerId },
      credential: { kind: this.kind, id: token.tokenId },
      scope: token.scope,
      permissions: effectivePermissions(owner.role, token.scope),
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
    };
  }

  /** A user's tenant and current role, as the log has them; other credentials of users derive their rights from it too. */
  user(userId: string): IndexedUser | null {
    return this.users.get(userId) ?? null;
  }

  ownerOf(tokenId: string): TokenOwnership | null {
    return this.owners.get(tokenId) ?? null;
  }

  get size(): number {
    return this.tokens.size;
  }
}
