import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export type MasterKey = { readonly id: string; readonly key: Buffer };

export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A data key wrapped under a master key this ring does not hold. */
export class MasterKeyUnavailableError extends Error {
  constructor(readonly masterKeyId: string) {
    super(`Master key '${masterKeyId}' is not configured; add it to MASTER_KEYS to read keys wrapped under it.`);
    this.name = 'MasterKeyUnavailableError';
  }
}

/** A wrapped key that does not authenticate: tampered with, or moved to another owner. */
export class UnwrapError extends Error {
  constructor(readonly ownerId: string) {
    super(`The data key of owner '${ownerId}' does not authenticate under its master key.`);
    this.name = 'UnwrapError';
  }
}

/** Binds a wrapped key to its owner and key id: a wrapped key copied to another owner fails. */
const wrappingContext = (ownerId: string, keyId: string) => Buffer.from(`keyhold/data-key/v1\u0000${ownerId}\u0000${keyId}`, 'utf8');

/**
 * The master keys from the configuration: the current one wraps new data keys, every one
 * listed unwraps keys wrapped under it, so that rotation is "add the new key, make it current,
 * re-wrap, then drop the old one".
 */
export class MasterKeyRing {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    private readonly current: MasterKey,
    others: readonly MasterKey[] = [],
  ) {
    for (const key of [current, ...others]) {
      if (key.key.length !== MASTER_KEY_BYTES) throw new Error(`Master key '${key.id}' must be exactly ${MASTER_KEY_BYTES} bytes.`);
    }
    this.keys = new Map([...others, current].map((key) => [key.id, key.key]));
  }

  get currentId(): string {
    return this.current.id;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  wrap(ownerId: string, keyId: string, dataKey: Buffer): { wrappedKey: string; masterKeyId: string } {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(wrappingContext(ownerId, keyId));
    const sealed = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { wrappedKey: sealed.toString('base64url'), masterKeyId: this.current.id };
  }

  unwrap(ownerId: string, keyId: string, wrappedKey: string, masterKeyId: string): Buffer {
    const key = this.keys.get(masterKeyId);
    if (!key) throw new MasterKeyUnavailableError(masterKeyId);
    const sealed = Buffer.from(wrappedKey, 'base64url');
    if (sealed.length < IV_BYTES + TAG_BYTES + 1) throw new UnwrapError(ownerId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(wrappingContext(ownerId, keyId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new UnwrapError(ownerId);
    }
  }
}
