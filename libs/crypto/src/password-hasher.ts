import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * Passwords are stored as scrypt hashes in a self-describing text, so that the cost can rise
 * later without invalidating older hashes:
 *
 *   $scrypt$ln=17,r=8,p=1$<salt, base64url>$<hash, base64url>
 *
 * ln=17, r=8, p=1 is OWASP's minimum for scrypt (128 MiB, about 0.3 s here). Hashing runs in the
 * libuv pool, and at most two at a time, so a burst of logins cannot take all the memory.
 */
const DEFAULT = { ln: 17, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const MAX_CONCURRENT = 2;
const ENCODED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;

let running = 0;
const queue: Array<() => void> = [];

const limited = async <T>(work: () => Promise<T>): Promise<T> => {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => queue.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    queue.shift()?.();
  }
};

const derive = (password: string, salt: Buffer, ln: number, r: number, p: number, length: number) =>
  limited(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        const options: ScryptOptions = { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r + 1024 * 1024 };
        scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
      }),
  );

export const hashPassword = async (password: string, cost = DEFAULT): Promise<string> => {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, cost.ln, cost.r, cost.p, HASH_BYTES);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
};

/** Constant-time check of a password against its stored hash; false for any malformed hash. */
export const verifyPassword = async (password: string, encoded: string): Promise<boolean> => {
  const match = ENCODED.exec(encoded);
  if (!match) return false;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(match[5], 'base64url');
  const actual = await derive(password, Buffer.from(match[4], 'base64url'), ln, r, p, expected.length);
  return timingSafeEqual(actual, expected);
};
