import { CompactEncrypt, importJWK, KeyLike } from 'jose';
import { CommandRefused } from './command-refusal';

const KEY_AGREEMENT = 'ECDH-ES';
const CONTENT_ENCRYPTION = 'A256GCM';
const AGREEMENT_CURVES: Readonly<Record<string, readonly string[]>> = { EC: ['P-256', 'P-384', 'P-521'], OKP: ['X25519'] };

/** The requester's reply key, checked before the command runs: a secret with nowhere to go must not be created. */
export const importReplyKey = async (jwk: Record<string, unknown> | undefined, commandId: string): Promise<KeyLike | Uint8Array> => {
  const refuse = (reason: string) => new CommandRefused('validation-error', reason, commandId);
  if (!jwk) throw refuse('This command creates a secret: replyKey (a public JWK to encrypt it to) is required.');
  if ('d' in jwk) throw refuse('replyKey must be a public key: it contains a private part (d).');
  const { kty, crv } = jwk;
  if (typeof kty !== 'string' || typeof crv !== 'string' || !(Object.hasOwn(AGREEMENT_CURVES, kty) && AGREEMENT_CURVES[kty].includes(crv))) {
    throw refuse('replyKey must be an EC (P-256, P-384, P-521) or OKP (X25519) public JWK.');
  }
  try {
    return await importJWK({ ...jwk, kty, crv }, KEY_AGREEMENT);
  } catch {
    throw refuse('replyKey is not a valid public JWK.');
  }
};

/** The secrets as a compact JWE only the holder of the reply key's private half can open. */
export const encryptForReply = async (secrets: Readonly<Record<string, string>>, replyKey: KeyLike | Uint8Array): Promise<string> =>
  new CompactEncrypt(new TextEncoder().encode(JSON.stringify(secrets)))
    .setProtectedHeader({ alg: KEY_AGREEMENT, enc: CONTENT_ENCRYPTION, cty: 'json' })
    .encrypt(replyKey);
