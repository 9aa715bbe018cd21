import { Injectable } from '@nestjs/common';
import { effectivePermissions, eventFamilies, hasExpired, PERSONAL_TOKEN_EVENTS, Role, TENANCY_EVENTS, TOKEN_SCOPES } from '@keyhold/domain';
import { SecretHash } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { CredentialKindIndex } from './credential-kind-index';
import { SecretSlots, SecretSlotsState, withRoom } from './hashed-secret-map';
import { InstantColumn, InstantColumnState } from './instant-column';
import { Principal } from './principal';

/** The events this index folds: tokens, and the users whose current role gives tokens their rights. */
const APPLIED = eventFamilies(PERSONAL_TOKEN_EVENTS, TENANCY_EVENTS);

export type IndexedUser = { readonly tenantId: string; readonly role: Role };

/** Whose a token is, kept for every token ever issued, revoked ones included. */
export type TokenOwnership = { readonly tenantId: string; readonly ownerId: string };

export type PersonalTokenIndexState = {
  readonly tokens: SecretSlotsState;
  readonly ownerNumbers: Uint32Array;
  readonly scopeNumbers: Uint8Array;
  readonly issuedAt: InstantColumnState;
  readonly expiresAt: InstantColumnState;
  readonly ownerships: readonly TokenOwnership[];
  readonly users: ReadonlyMap<string, IndexedUser>;
};

/**
 * Personal API tokens by hash, and users' current roles. Revoked tokens leave the index as soon
 * as their event is applied, and a role change applies to every token of the user at the next
 * request, because rights are computed at verification from the owner's current role, not
 * copied at issue.
 */
@Injectable()
export class PersonalTokenIndex implements CredentialKindIndex<PersonalTokenIndexState> {
  readonly kind = 'personalApiToken' as const;
  /**
   * A million tokens must fit a small node: a token is a slot (its hash and id, see
   * SecretSlots) and a row in the typed columns below, with owners and scopes numbered, not
   * one object per token.
   */
  private readonly tokens = new SecretSlots();
  private ownerNumbers: Uint32Array = new Uint32Array(0);
  private scopeNumbers: Uint8Array = new Uint8Array(0);
  private readonly issuedAt = new InstantColumn();
  private readonly expiresAt = new InstantColumn();
  /**
   * Whose each token is, numbered. A revoked token is no longer found by its hash but keeps its
   * slot and owner, so a revocation finds the owner's stream from the log alone and revoking
   * keeps working while the read-model database is away: revocation is the command that must
   * never wait.
   */
  private ownerships: TokenOwnership[] = [];
  private ownershipNumbers = new Map<string, number>();
  private users = new Map<string, IndexedUser>();

  apply(event: RecordedEvent): void {
    if (!APPLIED.includes(event)) return;
    switch (event.type) {
      case 'TokenIssued': {
        const { tokenId, tenantId, ownerId, scope, hashKeyId, secretHash, issuedAt, expiresAt } = event.data;
        const slot = this.tokens.add(tokenId, { hash: secretHash, keyId: hashKeyId });
        this.ownerNumbers = withRoom(this.ownerNumbers, slot + 1);
        this.scopeNumbers = withRoom(this.scopeNumbers, slot + 1);
        this.ownerNumbers[slot] = this.ownershipNumber(tenantId, ownerId);
        this.scopeNumbers[slot] = TOKEN_SCOPES.indexOf(scope);
        this.issuedAt.set(slot, issuedAt);
        this.expiresAt.set(slot, expiresAt);
        return;
      }
      case 'TokenRevoked':
        this.tokens.retire(event.data.tokenId);
        return;
      case 'UserAdded':
      case 'UserRoleChanged':
        this.users.set(event.data.userId, { tenantId: event.data.tenantId, role: event.data.role });
        return;
      default:
        return;
    }
  }

  verify(candidates: () => readonly SecretHash[], now: string): Principal | null {
    const slot = this.tokens.find(candidates());
    if (slot < 0) return null;
    const expiresAt = this.expiresAt.get(slot);
    if (hasExpired(expiresAt, now)) return null;
    const { tenantId, ownerId } = this.ownerships[this.ownerNumbers[slot]];
    const owner = this.users.get(ownerId);
    if (!owner || owner.tenantId !== tenantId) return null;
    const scope = TOKEN_SCOPES[this.scopeNumbers[slot]];
    return {
      tenantId,
      actor: { kind: 'user', id: ownerId },
      credential: { kind: this.kind, id: this.tokens.idOf(slot) },
      scope,
      permissions: effectivePermissions(owner.role, scope),
      issuedAt: this.issuedAt.get(slot)!,
      expiresAt,
    };
  }

  /** A user's tenant and current role, as the log has them; other credentials of users derive their rights from it too. */
  user(userId: string): IndexedUser | null {
    return this.users.get(userId) ?? null;
  }

  ownerOf(tokenId: string): TokenOwnership | null {
    const slot = this.tokens.slotOf(tokenId);
    return slot < 0 ? null : this.ownerships[this.ownerNumbers[slot]];
  }

  get size(): number {
    return this.tokens.size;
  }

  state(): PersonalTokenIndexState {
    const slots = this.tokens.slotCount;
    return {
      tokens: this.tokens.state(),
      ownerNumbers: this.ownerNumbers.subarray(0, slots),
      scopeNumbers: this.scopeNumbers.subarray(0, slots),
      issuedAt: this.issuedAt.state(slots),
      expiresAt: this.expiresAt.state(slots),
      ownerships: this.ownerships,
      users: this.users,
    };
  }

  restore(state: PersonalTokenIndexState): void {
    this.tokens.restore(state.tokens);
    this.ownerNumbers = state.ownerNumbers;
    this.scopeNumbers = state.scopeNumbers;
    this.issuedAt.restore(state.issuedAt);
    this.expiresAt.restore(state.expiresAt);
    this.ownerships = [...state.ownerships];
    this.ownershipNumbers = new Map(this.ownerships.map(({ tenantId, ownerId }, number) => [`${tenantId} ${ownerId}`, number]));
    this.users = new Map(state.users);
  }

  private ownershipNumber(tenantId: string, ownerId: string): number {
    const key = `${tenantId} ${ownerId}`;
    let number = this.ownershipNumbers.get(key);
    if (number === undefined) {
      number = this.ownerships.push({ tenantId, ownerId }) - 1;
      this.ownershipNumbers.set(key, number);
    }
    return number;
  }
}
