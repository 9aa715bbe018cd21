import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashKey } from '@keyhold/crypto';
import { KeyholdConfig } from './config';

type StoredKey = { id: string; key: string };

/**
 * The key that secrets are hashed under. Production passes it in the environment (from a secret
 * manager); the embedded default generates one on first start and keeps it beside the data,
 * readable by the owner only, because a new key at every start would orphan every issued token.
 */
export const loadHashKey = (config: KeyholdConfig): HashKey => {
  if (config.TOKEN_HASH_KEY) {
    return { id: config.TOKEN_HASH_KEY_ID, key: Buffer.from(config.TOKEN_HASH_KEY, 'base64url') };
  }
  const directory = join(config.DATA_DIR, 'keys');
  const file = join(directory, 'token-hash-key.json');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
    return { id: stored.id, key: Buffer.from(stored.key, 'base64url') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated: StoredKey = { id: config.TOKEN_HASH_KEY_ID, key: randomBytes(32).toString('base64url') };
  try {
    // 'wx' fails if another process (the CLI, a second node) created the file meanwhile: then use theirs.
    writeFileSync(file, JSON.stringify(generated), { mode: 0o600, flag: 'wx' });
    return { id: generated.id, key: Buffer.from(generated.key, 'base64url') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
    return { id: stored.id, key: Buffer.from(stored.key, 'base64url') };
  }
};

/** The keys a rotation retired (TOKEN_HASH_KEYS_PREVIOUS): secrets hashed under them keep verifying. */
export const loadPreviousHashKeys = (config: KeyholdConfig): HashKey[] =>
  (config.TOKEN_HASH_KEYS_PREVIOUS ?? '')
    .split(',')
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':');
      return { id: entry.slice(0, colon), key: Buffer.from(entry.slice(colon + 1), 'base64url') };
    });
