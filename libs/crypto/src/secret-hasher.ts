import { createHmac, timingSafeEqual } from 'node:crypto';

export type HashKey = { readonly id: string; readonly key: Buffer };

export type SecretHash = { readonly hash: string; readonly keyId: string };

/**
 * Secrets are stored as HMAC-SHA-256 under a server key, never as plaintext: a copy of the log
 * or the read models alone does not let anyone test guesses. Keys carry ids so that the key can
 * rotate: new secrets hash under the current key, older ones still verify under theirs.
 */
export class SecretHasher {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    private readonly current: HashKey,
    previous: readonly HashKey[] = [],
  ) {
    if (current.key.length < 32) throw new Error('A secret hash key must be at least 32 bytes.');
    this.keys = new Map([...previous, current].map((key) => [key.id, key.key]));
  }

  hash(secret: string): SecretHash {
    return { hash: this.hashWith(this.current.key, secret), keyId: this.current.id };
  }

  /** Every hash the secret could have been stored under, one per known key. */
  candidateHashes(secret: string): SecretHash[] {
    return [...this.keys].map(([keyId, key]) => ({ hash: this.hashWith(key, secret), keyId }));
  }

  /** Constant-time comparison of a freshly computed hash with a stored one. */
  static sameHash(computed: SecretHash, stored: SecretHash): boolean {
    if (computed.keyId !== stored.keyId) return false;
    const a = Buffer.from(computed.hash, 'base64url');
    const b = Buffer.from(stored.hash, 'base64url');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private hashWith(key: Buffer, secret: string): string {
    return createHmac('sha256', key).update(secret, 'utf8').digest('base64url');
  }
}
