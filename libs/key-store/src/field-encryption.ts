import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * One secret value encrypted under its owner's data key, as events carry it: only ciphertext
 * and the id of the data key, never the key nor the plaintext. AES-256-GCM with a fresh random
 * 96-bit IV per encryption; the owner id and the field name are authenticated data, so a
 * ciphertext moved to another owner or another field fails to decrypt instead of leaking there.
 */
export type EncryptedValue = {
  readonly alg: 'A256GCM';
  readonly keyId: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
};

/** A data key in clear, in memory only, for the time of one operation. */
export type DataKey = { readonly ownerId: string; readonly keyId: string; readonly key: Buffer };

export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Never says why beyond this: the message reaches logs, and must not help an attacker. */
export class DecryptionError extends Error {
  constructor(readonly ownerId: string, readonly field: string) {
    super(`The value of '${field}' of owner '${ownerId}' cannot be decrypted with this key.`);
    this.name = 'DecryptionError';
  }
}

const associatedData = (ownerId: string, field: string) => Buffer.from(`keyhold/field/v1\u0000${ownerId}\u0000${field}`, 'utf8');

export const encryptValue = (dataKey: DataKey, field: string, plaintext: string): EncryptedValue => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(dataKey.ownerId, field));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    alg: 'A256GCM',
    keyId: dataKey.keyId,
    iv: iv.toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  };
};

export const decryptValue = (dataKey: DataKey, field: string, value: EncryptedValue): string => {
  if (value.alg !== 'A256GCM' || value.keyId !== dataKey.keyId) throw new DecryptionError(dataKey.ownerId, field);
  const iv = Buffer.from(value.iv, 'base64url');
  const tag = Buffer.from(value.tag, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError(dataKey.ownerId, field);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(dataKey.ownerId, field));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(value.ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError(dataKey.ownerId, field);
  }
};
