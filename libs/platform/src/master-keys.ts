import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MasterKey, MasterKeyRing } from '@keyhold/key-store';
import { KeyholdConfig } from './config';

type StoredKey = { id: string; key: string };

const DEFAULT_MASTER_KEY_ID = 'm1';

/**
 * The master keys that wrap connections' data keys. Production passes them in the environment
 * (MASTER_KEYS, from a secret manager or a KMS-fed file); the embedded default generates one on
 * first start and keeps it beside the data, readable by the owner only, as it does the hash key.
 * Whoever holds the master key and the key store can decrypt the stored credentials: keep them
 * apart in production (a different volume, a secret manager).
 */
export const loadMasterKeyRing = (config: KeyholdConfig): MasterKeyRing => {
  if (config.MASTER_KEYS) {
    const keys: MasterKey[] = config.MASTER_KEYS.split(',').map((entry) => {
      const colon = entry.indexOf(':');
      return { id: entry.slice(0, colon), key: Buffer.from(entry.slice(colon + 1), 'base64url') };
    });
    const currentId = config.MASTER_KEY_ID ?? keys[0].id;
    const current = keys.find((key) => key.id === currentId)!;
    return new MasterKeyRing(current, keys.filter((key) => key !== current));
  }
  const directory = join(config.DATA_DIR, 'keys');
  const file = join(directory, 'master-key.json');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const toRing = (stored: StoredKey) => new MasterKeyRing({ id: stored.id, key: Buffer.from(stored.key, 'base64url') });
  try {
    return toRing(JSON.parse(readFileSync(file, 'utf8')) as StoredKey);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated: StoredKey = { id: config.MASTER_KEY_ID ?? DEFAULT_MASTER_KEY_ID, key: randomBytes(32).toString('base64url') };
  try {
    // 'wx' fails if another process (the CLI, a second node) created the file meanwhile: then use theirs.
    writeFileSync(file, JSON.stringify(generated), { mode: 0o600, flag: 'wx' });
    return toRing(generated);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return toRing(JSON.parse(readFileSync(file, 'utf8')) as StoredKey);
  }
};
