import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataKeyService } from '../data-key.service';
import { MasterKeyRing } from '../master-key-ring';
import { describeKeyStoreContract } from '../testing/key-store.contract';
import { SqliteKeyStore } from './sqlite-key-store';

describeKeyStoreContract('SQLite', async () => new SqliteKeyStore(join(mkdtempSync(join(tmpdir(), 'keyhold-keys-')), 'keys.sqlite')));

describe('SqliteKeyStore on disk', () => {
  const everyByteUnder = (directory: string) =>
    Buffer.concat(readdirSync(directory).map((name) => readFileSync(join(directory, name))));

  it('leaves no byte of a destroyed key in any file of its directory', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keyhold-keys-'));
    const store = new SqliteKeyStore(join(directory, 'keys.sqlite'));
    const keys = new DataKeyService(store, new MasterKeyRing({ id: 'm1', key: randomBytes(32) }));
    const kept = await keys.create(randomUUID(), '2026-01-01T00:00:00.000Z');
    const doomed = randomUUID();
    await keys.create(doomed, '2026-01-01T00:00:00.000Z');
    const wrapped = (await store.find(doomed))!.wrappedKey;
    expect(everyByteUnder(directory).includes(wrapped)).toBe(true);

    await keys.destroy(doomed, '2026-01-02T00:00:00.000Z');
    expect(everyByteUnder(directory).includes(wrapped)).toBe(false);
    expect(everyByteUnder(directory).includes((await store.find(kept.ownerId))!.wrappedKey)).toBe(true);
    await store.close();
    expect(everyByteUnder(directory).includes(wrapped)).toBe(false);
  });

  it('keeps keys across reopening the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-keys-')), 'keys.sqlite');
    const ring = new MasterKeyRing({ id: 'm1', key: randomBytes(32) });
    const first = new SqliteKeyStore(file);
    const created = await new DataKeyService(first, ring).create('owner', '2026-01-01T00:00:00.000Z');
    await first.close();
    const second = new SqliteKeyStore(file);
    expect((await new DataKeyService(second, ring).get('owner')).key.equals(created.key)).toBe(true);
    await second.close();
  });
});
