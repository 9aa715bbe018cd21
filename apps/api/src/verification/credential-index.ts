import { effectivePermissions, PersonalTokenEvent, Permission, Role, TenancyEvent, TokenScope } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { Projection } from '@keyhold/read-models';
import { parseSecret, SecretHasher } from '@keyhold/crypto';

/** Who a verified credential speaks for, with the rights it has right now. */
export type Principal = {
  readonly tenantId: string;
  readonly userId: string;
  readonly tokenId: string;
  readonly scope: TokenScope;
  readonly permissions: ReadonlySet<Permission>;
  readonly issuedAt: string;
  readonly expiresAt: string | null;
};

type IndexedToken = {
  readonly tokenId: string;
  readonly tenantId: string;
  readonly ownerId: string;
  readonly scope: TokenScope;
  readonly hashKeyId: string;
  readonly secretHash: string;
  readonly issuedAt: string;
  readonly expiresAt: string | null;
};

type IndexedUser = { readonly tenantId: string; readonly role: Role };

/** Whose a token is, kept for every token ever issued, revoked ones included. */
export type TokenOwnership = { readonly tenantId: string; readonly ownerId: string };

/**
 * Bytes of the stored hash used as the map key. The map finds the candidate; the full hash is
 * then compared in constant time, so lookup timing tells nothing even about the hash.
 */
const LOOKUP_KEY_LENGTH = 16;

/**
 * Everything needed to verify a credential without I/O, built from the event log: live tokens
 * by hash and users' current roles. Revoked tokens leave the index as soon as their event is
 * applied, and a role change applies to every token of the user at the next request, because
 * rights are computed at verification from the owner's current role, not copied at issue.
 */
export class CredentialIndex implements Projection {
  readonly name = 'credential-index';
  private readonly tokensByLookupKey = new Map<string, IndexedToken>();
  private readonly lookupKeyByTokenId = new Map<string, string>();
  private readonly users = new Map<string, IndexedUser>();
  /**
   * Lets a revocation find the owner's stream from the log alone, so revoking keeps working
   * while the read-model database is away: revocation is the command that must never wait.
   */
  private readonly owners = new Map<string, TokenOwnership>();

  constructor(private readonly hasher: SecretHasher) {}

  apply(recorded: RecordedEvent): void {
    const event = recorded as unknown as PersonalTokenEvent | TenancyEvent;
    switch (event.type) {
      case 'TokenIssued': {
        const { tokenId, tenantId, ownerId, scope, hashKeyId, secretHash, issuedAt, expiresAt } = event.data;
        const lookupKey = secretHash.slice(0, LOOKUP_KEY_LENGTH);
        this.tokensByLookupKey.set(lookupKey, { tokenId, tenantId, ownerId, scope, hashKeyId, secretHash, issuedAt, expiresAt });
        this.lookupKeyByTokenId.set(tokenId, lookupKey);
        this.owners.set(tokenId, { tenantId, ownerId });
        return;
      }
      case 'TokenRevoked': {
        const lookupKey = this.lookupKeyByTokenId.get(event.data.tokenId);
        if (lookupKey === undefined) return;
        this.tokensByLookupKey.delete(lookupKey);
        this.lookupKeyByTokenId.delete(event.data.tokenId);
        return;
      }
      case 'UserAdded':
      case 'UserRoleChanged':
        this.users.set(event.data.userId, { tenantId: event.data.tenantId, role: event.data.role });
        return;
      default:
        return;
    }
  }

  /** The principal a presented secret speaks for, or null if it is malformed, unknown, revoked or expired. */
  verify(secret: string, now: string): Principal | null {
    if (parseSecret(secret) !== 'personalApiToken') return null;
    for (const candidate of this.hasher.candidateHashes(secret)) {
      const token = this.tokensByLookupKey.get(candidate.hash.slice(0, LOOKUP_KEY_LENGTH));
      if (!token || !SecretHasher.sameHash(candidate, { hash: token.secretHash, keyId: token.hashKeyId })) continue;
      if (token.expiresAt !== null && token.expiresAt <= now) return null;
      const owner = this.users.get(token.ownerId);
      if (!owner || owner.tenantId !== token.tenantId) return null;
      return {
        tenantId: token.tenantId,
        userId: token.ownerId,
        tokenId: token.tokenId,
        scope: token.scope,
        permissions: effectivePermissions(owner.role, token.scope),
        issuedAt: token.issuedAt,
        expiresAt: token.expiresAt,
      };
    }
    return null;
  }

  ownerOf(tokenId: string): TokenOwnership | null {
    return this.owners.get(tokenId) ?? null;
  }

  size(): number {
    return this.tokensByLookupKey.size;
  }
}
