import { MAC_BYTES, SecretHasher } from './secret-hasher';
import { parseSecret, SECRET_KINDS } from './secret-token';

/**
 * A sealed secret carries its own claims and a MAC over them, instead of random characters
 * whose hash the log must hold: `kh_<kind>_<base64url(key id length, key id, claims, MAC)>`.
 * The MAC is HMAC-SHA-256 under a key derived from the hash key named in it (TOKEN_HASH_KEY or
 * one of TOKEN_HASH_KEYS_PREVIOUS), over the prefix, the key id and the claims, so a sealed
 * secret verifies without any lookup, still verifies after a key rotation while its key is kept,
 * and stops verifying when its key is dropped. The claims are not secret (anyone holding the
 * token can read them); forging or altering them needs the key.
 */
const PURPOSE = 'sealed-secret';
const MAX_KEY_ID_BYTES = 64;

/** Only these kinds are sealed; every other kind stays random (`generateSecret`). */
export type SealedSecretKind = 'accessToken';

const prefixOf = (kind: SealedSecretKind) => `kh_${SECRET_KINDS[kind]}_`;

export const sealSecret = (kind: SealedSecretKind, claims: Buffer, hasher: SecretHasher): string => {
  const prefix = prefixOf(kind);
  const keyId = Buffer.from(hasher.currentKeyId, 'utf8');
  if (keyId.length > MAX_KEY_ID_BYTES) throw new Error('A hash key id must be at most 64 bytes to seal secrets.');
  const body = Buffer.concat([Buffer.from([keyId.length]), keyId, claims]);
  const { tag } = hasher.mac(PURPOSE, Buffer.concat([Buffer.from(prefix, 'latin1'), body]));
  return prefix + Buffer.concat([body, tag]).toString('base64url');
};

/** The claims of a sealed secret of `kind` whose MAC verifies under a key the hasher holds; null otherwise. */
export const openSealedSecret = (kind: SealedSecretKind, text: string, hasher: SecretHasher): Buffer | null => {
  const prefix = prefixOf(kind);
  if (parseSecret(text) !== kind) return null;
  const bytes = Buffer.from(text.slice(prefix.length), 'base64url');
  if (bytes.length < 1 + MAC_BYTES) return null;
  const keyIdLength = bytes[0];
  const body = bytes.subarray(0, bytes.length - MAC_BYTES);
  if (keyIdLength > MAX_KEY_ID_BYTES || body.length < 1 + keyIdLength) return null;
  const keyId = body.subarray(1, 1 + keyIdLength).toString('utf8');
  const signed = Buffer.concat([Buffer.from(prefix, 'latin1'), body]);
  return hasher.macMatches(PURPOSE, keyId, signed, bytes.subarray(bytes.length - MAC_BYTES)) ? body.subarray(1 + keyIdLength) : null;
};

