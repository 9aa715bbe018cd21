import Database from 'better-sqlite3';
import { DataKeyExistsError, KeyStore, StoredDataKey } from '../key-store.port';

type Row = { owner_id: string; key_id: string; wrapped_key: string; master_key_id: string; created_at: string };

const toKey = (row: Row): StoredDataKey => ({
  ownerId: row.owner_id,
  keyId: row.key_id,
  wrappedKey: row.wrapped_key,
  masterKeyId: row.master_key_id,
  createdAt: row.created_at,
});

/**
 * Embedded key store: a SQLite file of its own (not the event log's, not the read models'), set
 * up so that a destroyed key leaves no copy in any file: `secure_delete` overwrites deleted
 * content with zeros, and a rollback journal that is deleted after each transaction replaces the
 * write-ahead log, whose old frames would otherwise keep page images until overwritten.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly db: Database.Database;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = DELETE');
    this.db.pragma('secure_delete = ON');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS data_keys (
        owner_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, wrapped_key TEXT NOT NULL,
        master_key_id TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS data_keys_master ON data_keys (master_key_id, owner_id);
      CREATE TABLE IF NOT EXISTS destroyed_data_keys (owner_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, destroyed_at TEXT NOT NULL);
    `);
  }

  async insert(key: StoredDataKey): Promise<void> {
    const insert = this.db.transaction(() => {
      const tombstone = this.db.prepare('SELECT 1 FROM destroyed_data_keys WHERE owner_id = ?').get(key.ownerId);
      if (tombstone) throw new DataKeyExistsError(key.ownerId);
      const info = this.db
        .prepare(
          `INSERT INTO data_keys (owner_id, key_id, wrapped_key, master_key_id, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (owner_id) DO NOTHING`,
        )
        .run(key.ownerId, key.keyId, key.wrappedKey, key.masterKeyId, key.createdAt);
      if (info.changes === 0) throw new DataKeyExistsError(key.ownerId);
    });
    insert.immediate();
  }

  async find(ownerId: string): Promise<StoredDataKey | null> {
    const row = this.db.prepare<[string], Row>('SELECT * FROM data_keys WHERE owner_id = ?').get(ownerId);
    return row ? toKey(row) : null;
  }

  async destroy(ownerId: string, destroyedAt: string): Promise<boolean> {
    const destroy = this.db.transaction(() => {
      const row = this.db.prepare<[string], Row>('SELECT * FROM data_keys WHERE owner_id = ?').get(ownerId);
      if (!row) return false;
      this.db
        .prepare('INSERT INTO destroyed_data_keys (owner_id, key_id, destroyed_at) VALUES (?, ?, ?) ON CONFLICT (owner_id) DO NOTHING')
        .run(ownerId, row.key_id, destroyedAt);
      this.db.prepare('DELETE FROM data_keys WHERE owner_id = ?').run(ownerId);
      return true;
    });
    return destroy.immediate();
  }

  async destroyedAt(ownerId: string): Promise<string | null> {
    const row = this.db
      .prepare<[string], { destroyed_at: string }>('SELECT destroyed_at FROM destroyed_data_keys WHERE owner_id = ?')
      .get(ownerId);
    return row?.destroyed_at ?? null;
  }

  async listWrappedOtherThan(masterKeyId: string, afterOwnerId: string | null, limit: number): Promise<StoredDataKey[]> {
    return this.db
      .prepare<[string, string, number], Row>(
        'SELECT * FROM data_keys WHERE master_key_id <> ? AND owner_id > ? ORDER BY owner_id LIMIT ?',
      )
      .all(masterKeyId, afterOwnerId ?? '', limit)
      .map(toKey);
  }

  async rewrap(ownerId: string, expectedMasterKeyId: string, wrappedKey: string, masterKeyId: string): Promise<boolean> {
    const info = this.db
      .prepare('UPDATE data_keys SET wrapped_key = ?, master_key_id = ? WHERE owner_id = ? AND master_key_id = ?')
      .run(wrappedKey, masterKeyId, ownerId, expectedMasterKeyId);
    return info.changes > 0;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
