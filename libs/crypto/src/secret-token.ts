import { randomFillSync } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Every secret we generate reads `kh_<kind>_<43 base62 chars of randomness><6 base62 chars of
 * CRC-32>`: the prefix tells a secret scanner (and a human) what leaked, 43 base62 characters
 * carry more than 256 bits, and the checksum lets a scanner or our own parser reject random
 * text without a lookup. The same scheme as GitHub's and Stripe's tokens, which scanners know.
 */
export const SECRET_KINDS = {
  personalApiToken: 'pat',
  clientSecret: 'cs',
  accessToken: 'at',
  integrationConsumerKey: 'ick',
  integrationConsumerSecret: 'ics',
  integrationAccessToken: 'iat',
  integrationAccessTokenSecret: 'ias',
  /** The OAuth 1.0a handshake's one-time values: request token and secret, verifier, the admin's return state. */
  integrationRequestToken: 'irt',
  integrationRequestTokenSecret: 'irs',
  integrationVerifier: 'iov',
  integrationReturnState: 'irr',
  invitationCode: 'inv',
  sessionSecret: 'ses',
  userAccessToken: 'uat',
  authorizationCode: 'ac',
  refreshToken: 'rt',
} as const;
export type SecretKind = keyof typeof SECRET_KINDS;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 43;
const CHECKSUM_LENGTH = 6;

const prefixOf = (kind: SecretKind) => `kh_${SECRET_KINDS[kind]}_`;

const base62Checksum = (text: string): string => {
  let value = crc32(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i += 1) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
};

/**
 * Bytes from the CSPRNG, filled a page at a time and each handed out once: a `randomBytes` call
 * per secret (a new buffer and a trip into OpenSSL for 86 bytes) cost as much as the rest of
 * making the secret under `POST /v1/tokens`' load. Node keeps such a pool for `randomUUID` too.
 */
const RANDOM_POOL_BYTES = 4096;
const randomPool = Buffer.alloc(RANDOM_POOL_BYTES);
let randomPoolNext = RANDOM_POOL_BYTES;

const randomByte = (): number => {
  if (randomPoolNext === RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomPoolNext = 0;
  }
  return randomPool[randomPoolNext++];
};

/** Uniform base62 characters by rejection sampling: bytes >= 248 would bias the modulo. */
const randomBase62 = (length: number): string => {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
};

export const generateSecret = (kind: SecretKind): string => {
  const body = prefixOf(kind) + randomBase62(RANDOM_LENGTH);
  return body + base62Checksum(body);
};

const SECRET_PATTERN = new RegExp(`^kh_([a-z]+)_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

/** A sealed secret (`sealSecret`): its MAC, not a checksum, tells it from random text. */
const SEALED_PATTERN = new RegExp(`^kh_${SECRET_KINDS.accessToken}_[A-Za-z0-9_-]{60,680}$`);

/**
 * The kind of a well-formed secret with a valid checksum, or of a well-formed sealed one (whose
 * MAC only its index can check), or null for anything else.
 */
export const parseSecret = (text: string): SecretKind | null => {
  const match = SECRET_PATTERN.exec(text);
  if (!match) return SEALED_PATTERN.test(text) ? 'accessToken' : null;
  const kind = (Object.keys(SECRET_KINDS) as SecretKind[]).find((candidate) => SECRET_KINDS[candidate] === match[1]);
  if (!kind) return null;
  const body = text.slice(0, -CHECKSUM_LENGTH);
  return base62Checksum(body) === text.slice(-CHECKSUM_LENGTH) ? kind : null;
};

/** Prefix and last four characters: enough to recognise a secret, nothing to guess it from. */
export const secretHint = (secret: string): string => `${secret.slice(0, secret.indexOf('_', 3) + 1)}…${secret.slice(-4)}`;
