import { randomBytes, randomUUID } from 'node:crypto';
import { DATA_KEY_BYTES, DataKey } from './field-encryption';
import { KeyStore } from './key-store.port';
import { MasterKeyRing } from './master-key-ring';

/** The owner has no data key: it never had one, or it was destroyed (crypto-shredded). */
export class DataKeyUnavailableError extends Error {
  constructor(
    readonly ownerId: string,
    readonly destroyedAt: string | null,
  ) {
    super(destroyedAt ? `The data key of owner '${ownerId}' was destroyed at ${destroyedAt}.` : `Owner '${ownerId}' has no data key.`);
    this.name = 'DataKeyUnavailableError';
  }
}

export type RewrapReport = {
  readonly masterKeyId: string;
  readonly rewrapped: number;
  /** Keys left as they were, with why (their master key is not configured, or they do not authenticate). */
  readonly failed: ReadonlyArray<{ readonly ownerId: string; readonly reason: string }>;
};

const REWRAP_BATCH = 100;

/**
 * Envelope encryption on top of a key store: creates, unwraps and destroys owners' data keys,
 * and re-wraps them all under the current master key (rotation) without touching any event,
 * since events only name the data key, never the master key.
 */
export class DataKeyService {
  constructor(
    private readonly store: KeyStore,
    private readonly masterKeys: MasterKeyRing,
  ) {}

  get currentMasterKeyId(): string {
    return this.masterKeys.currentId;
  }

  /** A fresh random data key for `ownerId`, stored wrapped before it is handed out. */
  async create(ownerId: string, now: string): Promise<DataKey> {
    const key = randomBytes(DATA_KEY_BYTES);
    const keyId = randomUUID();
    await this.store.insert({ ownerId, keyId, ...this.masterKeys.wrap(ownerId, keyId, key), createdAt: now });
    return { ownerId, keyId, key };
  }

  /** The owner's data key in clear; DataKeyUnavailableError once it is destroyed. */
  async get(ownerId: string): Promise<DataKey> {
    const stored = await this.store.find(ownerId);
    if (!stored) throw new DataKeyUnavailableError(ownerId, await this.store.destroyedAt(ownerId));
    return { ownerId, keyId: stored.keyId, key: this.masterKeys.unwrap(ownerId, stored.keyId, stored.wrappedKey, stored.masterKeyId) };
  }

  /** Crypto-shredding: true when a key was destroyed now, false when none was left. */
  destroy(ownerId: string, now: string): Promise<boolean> {
    return this.store.destroy(ownerId, now);
  }

  /**
   * Re-wraps every data key not yet under the current master key. Safe to run while the
   * service runs and to run again: each key is replaced only if still wrapped as it was read.
   */
  async rewrapAll(): Promise<RewrapReport> {
    const target = this.masterKeys.currentId;
    let rewrapped = 0;
    const failed: Array<{ ownerId: string; reason: string }> = [];
    let after: string | null = null;
    for (;;) {
      const batch = await this.store.listWrappedOtherThan(target, after, REWRAP_BATCH);
      if (batch.length === 0) break;
      for (const stored of batch) {
        try {
          const key = this.masterKeys.unwrap(stored.ownerId, stored.keyId, stored.wrappedKey, stored.masterKeyId);
          const { wrappedKey, masterKeyId } = this.masterKeys.wrap(stored.ownerId, stored.keyId, key);
          if (await this.store.rewrap(stored.ownerId, stored.masterKeyId, wrappedKey, masterKeyId)) rewrapped += 1;
        } catch (error) {
          failed.push({ ownerId: stored.ownerId, reason: (error as Error).message });
        }
      }
      after = batch[batch.length - 1].ownerId;
    }
    return { masterKeyId: target, rewrapped, failed };
  }

  ping(): Promise<void> {
    return this.store.ping();
  }
}
