import { Collection, Db, MongoClient, MongoClientOptions, MongoServerError } from 'mongodb';
import { DataKeyExistsError, KeyStore, StoredDataKey } from '../key-store.port';

const DUPLICATE_KEY = 11000;

type KeyDocument = { _id: string; keyId: string; wrappedKey: string; masterKeyId: string; createdAt: string };
type Tombstone = { _id: string; keyId: string; destroyedAt: string };

const toKey = (doc: KeyDocument): StoredDataKey => ({
  ownerId: doc._id,
  keyId: doc.keyId,
  wrappedKey: doc.wrappedKey,
  masterKeyId: doc.masterKeyId,
  createdAt: doc.createdAt,
});

/** Errors may be logged: keep the address, drop user:password and options. */
const withoutCredentials = (url: string) => url.replace(/\/\/[^/?#]*@/, '//').replace(/[?#].*$/, '');

/**
 * Data keys in MongoDB, one document per owner, with single-document atomic operations only (no
 * transactions, which the test stand-in lacks). A destroyed key's document is deleted after its
 * tombstone is written. MongoDB frees the space but may keep the bytes in its files and journal
 * until they are reused, and in any backup taken before: crypto-shredding on MongoDB holds from
 * the point of view of the application, and of files only once storage and backups rotate.
 */
export class MongoKeyStore implements KeyStore {
  private readonly keys: Collection<KeyDocument>;
  private readonly tombstones: Collection<Tombstone>;
  private indexed?: Promise<unknown>;

  static async connect(url: string, databaseName: string, options: MongoClientOptions = {}): Promise<MongoKeyStore> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, connectTimeoutMS: 5_000, ignoreUndefined: true, ...options });
    try {
      await client.connect();
    } catch (error) {
      await client.close();
      throw new Error(`Cannot connect to MongoDB at ${withoutCredentials(url)}: ${(error as Error).message}`, { cause: error });
    }
    return new MongoKeyStore(client, client.db(databaseName));
  }

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {
    this.keys = db.collection<KeyDocument>('key_store_data_keys');
    this.tombstones = db.collection<Tombstone>('key_store_destroyed_keys');
  }

  private ready(): Promise<unknown> {
    this.indexed ??= this.keys.createIndex({ masterKeyId: 1, _id: 1 }).catch((error: unknown) => {
      this.indexed = undefined;
      throw error;
    });
    return this.indexed;
  }

  async insert(key: StoredDataKey): Promise<void> {
    await this.ready();
    if (await this.tombstones.findOne({ _id: key.ownerId })) throw new DataKeyExistsError(key.ownerId);
    try {
      await this.keys.insertOne({
        _id: key.ownerId,
        keyId: key.keyId,
        wrappedKey: key.wrappedKey,
        masterKeyId: key.masterKeyId,
        createdAt: key.createdAt,
      });
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) throw new DataKeyExistsError(key.ownerId);
      throw error;
    }
  }

  async find(ownerId: string): Promise<StoredDataKey | null> {
    const found = await this.keys.findOne({ _id: ownerId });
    return found ? toKey(found) : null;
  }

  async destroy(ownerId: string, destroyedAt: string): Promise<boolean> {
    const found = await this.keys.findOne({ _id: ownerId }, { projection: { keyId: 1 } });
    if (!found) return false;
    // Tombstone first: once the key is gone, an insert for the same owner must already be refused.
    await this.tombstones.updateOne({ _id: ownerId }, { $setOnInsert: { keyId: found.keyId, destroyedAt } }, { upsert: true });
    const deleted = await this.keys.deleteOne({ _id: ownerId });
    return deleted.deletedCount > 0;
  }

  async destroyedAt(ownerId: string): Promise<string | null> {
    return (await this.tombstones.findOne({ _id: ownerId }))?.destroyedAt ?? null;
  }

  async listWrappedOtherThan(masterKeyId: string, afterOwnerId: string | null, limit: number): Promise<StoredDataKey[]> {
    await this.ready();
    const filter = afterOwnerId === null ? { masterKeyId: { $ne: masterKeyId } } : { masterKeyId: { $ne: masterKeyId }, _id: { $gt: afterOwnerId } };
    const found = await this.keys.find(filter).sort({ _id: 1 }).limit(limit).toArray();
    return found.map(toKey);
  }

  async rewrap(ownerId: string, expectedMasterKeyId: string, wrappedKey: string, masterKeyId: string): Promise<boolean> {
    const result = await this.keys.updateOne({ _id: ownerId, masterKeyId: expectedMasterKeyId }, { $set: { wrappedKey, masterKeyId } });
    return result.modifiedCount > 0;
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
