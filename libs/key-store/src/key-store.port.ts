/**
 * Data keys live here, outside the event log, because the log is immutable and a key must be
 * destroyable: each owner (a connection, say) has one data key that encrypts its secrets, and
 * the events keep only ciphertext. Destroying the key is crypto-shredding: the ciphertext left in
 * the log can never be decrypted again.
 *
 * A stored data key is never in clear: it is wrapped (AES-256-GCM) under a master key from the
 * configuration, whose id is stored beside it so that the master key can rotate (see
 * DataKeyService.rewrapAll). Adapters store and return records; they know nothing of crypto.
 */
export type StoredDataKey = {
  readonly ownerId: string;
  /** The data key's own id, which ciphertexts name so that a stale key is told from a wrong one. */
  readonly keyId: string;
  /** base64url of IV, ciphertext and tag of the data key under master key `masterKeyId`. */
  readonly wrappedKey: string;
  readonly masterKeyId: string;
  readonly createdAt: string;
};

/** The owner already has a data key, or had one that was destroyed: keys are never replaced. */
export class DataKeyExistsError extends Error {
  constructor(readonly ownerId: string) {
    super(`A data key for owner '${ownerId}' exists or was destroyed.`);
    this.name = 'DataKeyExistsError';
  }
}

export interface KeyStore {
  /** Stores a new wrapped key; DataKeyExistsError if the owner has one or had one destroyed. */
  insert(key: StoredDataKey): Promise<void>;
  /** The owner's wrapped key, or null when it never existed or was destroyed. */
  find(ownerId: string): Promise<StoredDataKey | null>;
  /**
   * Deletes the owner's key for good (no copy kept, nothing left to restore) and keeps a
   * tombstone without key material; true when there was a key to destroy. Idempotent.
   */
  destroy(ownerId: string, destroyedAt: string): Promise<boolean>;
  /** When the owner's key was destroyed, or null if it was not. */
  destroyedAt(ownerId: string): Promise<string | null>;
  /** Up to `limit` keys wrapped under another master key than `masterKeyId`, by owner id after `afterOwnerId`. */
  listWrappedOtherThan(masterKeyId: string, afterOwnerId: string | null, limit: number): Promise<StoredDataKey[]>;
  /**
   * Replaces the wrapping of the owner's key if it is still wrapped under `expectedMasterKeyId`;
   * false when it is not (destroyed meanwhile, or re-wrapped by someone else): a re-wrap never
   * resurrects a destroyed key.
   */
  rewrap(ownerId: string, expectedMasterKeyId: string, wrappedKey: string, masterKeyId: string): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const KEY_STORE = Symbol('KeyStore');
