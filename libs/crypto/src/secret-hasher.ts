import { createHmac, createSecretKey, KeyObject, timingSafeEqual } from 'node:crypto';

export type HashKey = { readonly id: string; readonly key: Buffer };

export type SecretHash = { readonly hash: string; readonly keyId: string };

/** HMAC-SHA-256's length: a MAC shorter or longer than this is refused before comparing. */
export const MAC_BYTES = 32;

/**
 * Secrets are stored as HMAC-SHA-256 under a server key, never as plaintext: a copy of the log
 * or the read models alone does not let anyone test guesses. Keys carry ids so that the key can
 * rotate: new secrets hash under the current key, older ones still verify under theirs.
 */
export class SecretHasher {
  /** As key objects, made once: `createHmac` with a Buffer makes one per call, a fifth of a verification's hashing. */
  private readonly keys: ReadonlyMap<string, KeyObject>;
  private readonly currentKey: KeyObject;
  private readonly macKeys = new Map<string, KeyObject>();

  constructor(
    private readonly current: HashKey,
    previous: readonly HashKey[] = [],
  ) {
    if (current.key.length < 32) throw new Error('A secret hash key must be at least 32 bytes.');
    this.keys = new Map([...previous, current].map((key) => [key.id, createSecretKey(key.key)]));
    this.currentKey = this.keys.get(current.id)!;
  }

  /** The id of the key new secrets hash, and new MACs are made, under. */
  get currentKeyId(): string {
    return this.current.id;
  }

  hash(secret: string): SecretHash {
    return { hash: this.hashWith(this.currentKey, secret), keyId: this.current.id };
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

  /**
   * A MAC over `payload` under the current key, for a secret that carries its own claims (a
   * sealed access token). `purpose` derives a key of its own from each hash key, so a MAC never
   * equals any secret's stored hash, nor another purpose's MAC.
   */
  mac(purpose: string, payload: Buffer): { keyId: string; tag: Buffer } {
    return { keyId: this.current.id, tag: createHmac('sha256', this.macKey(purpose, this.current.id)!).update(payload).digest() };
  }

  /** Constant-time check of a MAC made by `mac`; false under a key id this hasher does not hold. */
  macMatches(purpose: string, keyId: string, payload: Buffer, tag: Buffer): boolean {
    const key = this.macKey(purpose, keyId);
    if (!key || tag.length !== MAC_BYTES) return false;
    return timingSafeEqual(createHmac('sha256', key).update(payload).digest(), tag);
  }

  private macKey(purpose: string, keyId: string): KeyObject | null {
    const name = `${purpose}\u0000${keyId}`;
    let derived = this.macKeys.get(name);
    if (!derived) {
      const key = this.keys.get(keyId);
      if (!key) return null;
      derived = createSecretKey(createHmac('sha256', key).update(`keyhold mac key: ${purpose}`, 'utf8').digest());
      this.macKeys.set(name, derived);
    }
    return derived;
  }

  private hashWith(key: KeyObject, secret: string): string {
    return createHmac('sha256', key).update(secret, 'utf8').digest('base64url');
  }
}
