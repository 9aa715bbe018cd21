import { randomBytes, randomUUID } from 'node:crypto';
import { DataKeyService, DataKeyUnavailableError } from '../data-key.service';
import { decryptValue, DecryptionError, encryptValue } from '../field-encryption';
import { DataKeyExistsError, KeyStore } from '../key-store.port';
import { MasterKey, MasterKeyRing, UnwrapError } from '../master-key-ring';

const masterKey = (id = `m-${randomUUID().slice(0, 8)}`): MasterKey => ({ id, key: randomBytes(32) });
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';

/** The behaviour every key store adapter must show, with the envelope encryption built on it. */
export const describeKeyStoreContract = (adapterName: string, open: () => Promise<KeyStore>) => {
  describe(`KeyStore contract: ${adapterName}`, () => {
    let store: KeyStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    const owner = () => `owner-${randomUUID()}`;

    it('creates a data key, stores it only wrapped, and gives the same key back', async () => {
      const keys = new DataKeyService(store, new MasterKeyRing(masterKey()));
      const id = owner();
      const created = await keys.create(id, T0);
      expect(created.key).toHaveLength(32);
      const stored = await store.find(id);
      expect(stored).toMatchObject({ ownerId: id, keyId: created.keyId, createdAt: T0, masterKeyId: keys.currentMasterKeyId });
      expect(Buffer.from(stored!.wrappedKey, 'base64url').includes(created.key)).toBe(false);
      expect(stored!.wrappedKey).not.toContain(created.key.toString('base64url'));
      const again = await keys.get(id);
      expect(again.keyId).toBe(created.keyId);
      expect(again.key.equals(created.key)).toBe(true);
    });

    it('gives each owner its own key', async () => {
      const keys = new DataKeyService(store, new MasterKeyRing(masterKey()));
      const [a, b] = [await keys.create(owner(), T0), await keys.create(owner(), T0)];
      expect(a.key.equals(b.key)).toBe(false);
      expect(a.keyId).not.toBe(b.keyId);
    });

    it('refuses a second key for the same owner', async () => {
      const keys = new DataKeyService(store, new MasterKeyRing(masterKey()));
      const id = owner();
      await keys.create(id, T0);
      await expect(keys.create(id, T1)).rejects.toBeInstanceOf(DataKeyExistsError);
    });

    it('answers that an unknown owner has no key', async () => {
      const keys = new DataKeyService(store, new MasterKeyRing(masterKey()));
      const id = owner();
      await expect(keys.get(id)).rejects.toMatchObject({ name: 'DataKeyUnavailableError', destroyedAt: null });
      expect(await store.find(id)).toBeNull();
      expect(await store.destroyedAt(id)).toBeNull();
      expect(await keys.destroy(id, T0)).toBe(false);
    });

    it('destroys a key for good: not readable, not restorable, not re-creatable, ciphertext undecryptable', async () => {
      const keys = new DataKeyService(store, new MasterKeyRing(masterKey()));
      const id = owner();
      const key = await keys.create(id, T0);
      const ciphertext = encryptValue(key, 'password', 'hunter2-but-longer');
      expect(await keys.destroy(id, T1)).toBe(true);
      expect(await store.find(id)).toBeNull();
      expect(await store.destroyedAt(id)).toBe(T1);
      const error = await keys.get(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataKeyUnavailableError);
      expect((error as DataKeyUnavailableError).destroyedAt).toBe(T1);
      expect(await keys.destroy(id, T1)).toBe(false);
      await expect(keys.create(id, T1)).rejects.toBeInstanceOf(DataKeyExistsError);
      // Whatever key exists now, none decrypts what the destroyed one encrypted.
      const other = await keys.create(owner(), T1);
      expect(() => decryptValue({ ...other, ownerId: id, keyId: key.keyId }, 'password', ciphertext)).toThrow(DecryptionError);
    });

    it('binds a wrapped key to its owner: moved to another owner it does not unwrap', async () => {
      const ring = new MasterKeyRing(masterKey());
      const keys = new DataKeyService(store, ring);
      const victim = owner();
      await keys.create(victim, T0);
      const stolen = (await store.find(victim))!;
      const thief = owner();
      await store.insert({ ...stolen, ownerId: thief });
      await expect(keys.get(thief)).rejects.toBeInstanceOf(UnwrapError);
    });

    it('does not unwrap without the master key it was wrapped under', async () => {
      const id = owner();
      await new DataKeyService(store, new MasterKeyRing(masterKey('old'))).create(id, T0);
      await expect(new DataKeyService(store, new MasterKeyRing(masterKey('new'))).get(id)).rejects.toMatchObject({
        name: 'MasterKeyUnavailableError',
        masterKeyId: 'old',
      });
      // Same id, other bytes: the wrapping does not authenticate.
      await expect(new DataKeyService(store, new MasterKeyRing(masterKey('old'))).get(id)).rejects.toBeInstanceOf(UnwrapError);
    });

    describe('master key rotation', () => {
      it('re-wraps every key under the new master key, keeps the keys themselves, and is idempotent', async () => {
        const oldKey = masterKey();
        const newKey = masterKey();
        const before = new DataKeyService(store, new MasterKeyRing(oldKey));
        const owners = [owner(), owner(), owner()];
        const created = await Promise.all(owners.map((id) => before.create(id, T0)));
        const destroyed = owner();
        await before.create(destroyed, T0);
        await before.destroy(destroyed, T1);

        const during = new DataKeyService(store, new MasterKeyRing(newKey, [oldKey]));
        const report = await during.rewrapAll();
        expect(report.masterKeyId).toBe(newKey.id);
        expect(report.failed.filter((f) => owners.includes(f.ownerId))).toEqual([]);
        expect(report.rewrapped).toBeGreaterThanOrEqual(3);
        for (const id of owners) expect((await store.find(id))!.masterKeyId).toBe(newKey.id);
        expect(await store.find(destroyed)).toBeNull();

        const after = new DataKeyService(store, new MasterKeyRing(newKey));
        for (const [n, id] of owners.entries()) expect((await after.get(id)).key.equals(created[n].key)).toBe(true);
        await expect(before.get(owners[0])).rejects.toMatchObject({ name: 'MasterKeyUnavailableError' });
        const second = await during.rewrapAll();
        expect(second.failed.filter((f) => owners.includes(f.ownerId))).toEqual([]);
        for (const id of owners) expect((await store.find(id))!.masterKeyId).toBe(newKey.id);
      });

      it('reports, and leaves alone, keys whose master key is not configured', async () => {
        const lost = masterKey();
        const id = owner();
        await new DataKeyService(store, new MasterKeyRing(lost)).create(id, T0);
        const report = await new DataKeyService(store, new MasterKeyRing(masterKey())).rewrapAll();
        expect(report.failed).toContainEqual({ ownerId: id, reason: expect.stringContaining(lost.id) });
        expect((await store.find(id))!.masterKeyId).toBe(lost.id);
        expect((await new DataKeyService(store, new MasterKeyRing(lost)).get(id)).keyId).toBeDefined();
      });

      it('replaces a wrapping only if it is still the one read (compare and set)', async () => {
        const ring = new MasterKeyRing(masterKey());
        const id = owner();
        await new DataKeyService(store, ring).create(id, T0);
        const stored = (await store.find(id))!;
        expect(await store.rewrap(id, 'not-its-master-key', 'garbage', 'x')).toBe(false);
        expect(await store.find(id)).toEqual(stored);
        await store.destroy(id, T1);
        expect(await store.rewrap(id, stored.masterKeyId, stored.wrappedKey, 'x')).toBe(false);
        expect(await store.find(id)).toBeNull();
      });

      it('lists keys under other master keys page by page, in owner order', async () => {
        const mine = masterKey();
        const keys = new DataKeyService(store, new MasterKeyRing(mine));
        const prefix = `page-${randomUUID()}`;
        for (const n of [3, 1, 2]) await keys.create(`${prefix}-${n}`, T0);
        const pages: string[] = [];
        let after: string | null = `${prefix}-0`;
        for (;;) {
          const page: Array<{ ownerId: string }> = (await store.listWrappedOtherThan('no-such-master', after, 2)).filter((k) =>
            k.ownerId.startsWith(prefix),
          );
          if (page.length === 0) break;
          pages.push(...page.map((k) => k.ownerId));
          after = page[page.length - 1].ownerId;
        }
        expect(pages).toEqual([`${prefix}-1`, `${prefix}-2`, `${prefix}-3`]);
        const underMine = await store.listWrappedOtherThan(mine.id, `${prefix}-0`, 1000);
        expect(underMine.some((k) => k.ownerId.startsWith(prefix))).toBe(false);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
};
