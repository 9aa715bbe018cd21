import { SecretHash, SecretHasher } from '@keyhold/crypto';

/**
 * Characters of the stored hash used as the map key. The map finds the candidate; the full hash
 * is then compared in constant time, so lookup timing tells nothing even about the hash.
 */
const LOOKUP_KEY_LENGTH = 16;

/** Live secrets of one kind, found by the hash of a presented secret without I/O. */
export class HashedSecretMap<T> {
  private readonly byLookupKey = new Map<string, { stored: SecretHash; value: T }>();
  private readonly lookupKeyById = new Map<string, string>();

  set(id: string, stored: SecretHash, value: T): void {
    const lookupKey = stored.hash.slice(0, LOOKUP_KEY_LENGTH);
    this.byLookupKey.set(lookupKey, { stored, value });
    this.lookupKeyById.set(id, lookupKey);
  }

  delete(id: string): void {
    const lookupKey = this.lookupKeyById.get(id);
    if (lookupKey === undefined) return;
    this.byLookupKey.delete(lookupKey);
    this.lookupKeyById.delete(id);
  }

  /** The value stored under whichever candidate hash (one per hash key) matches, if any. */
  find(candidates: readonly SecretHash[]): T | null {
    for (const candidate of candidates) {
      const entry = this.byLookupKey.get(candidate.hash.slice(0, LOOKUP_KEY_LENGTH));
      if (entry && SecretHasher.sameHash(candidate, entry.stored)) return entry.value;
    }
    return null;
  }

  get size(): number {
    return this.byLookupKey.size;
  }
}
