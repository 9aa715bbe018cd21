import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KeyholdConfig } from './config';

/**
 * The path of a file in DATA_DIR, which holds the event log, the read models and the keys: the
 * directory is created readable by the owner only (0700) and the file exists, 0600, before
 * SQLite opens it (SQLite gives its -wal and -shm files the database file's mode). A file left
 * by an older version with wider rights is narrowed; a directory the operator made is theirs.
 */
export const privateDataFile = (config: KeyholdConfig, name: string): string => {
  mkdirSync(config.DATA_DIR, { recursive: true, mode: 0o700 });
  const path = join(config.DATA_DIR, name);
  closeSync(openSync(path, 'a', 0o600));
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return path;
};
