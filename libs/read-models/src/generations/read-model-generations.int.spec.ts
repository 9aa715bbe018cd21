import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { describeWithServer } from '../../../../test/support/real-server';
import { MongoReadModelStore } from '../mongo/mongo-read-model-store';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { describeReadModelGenerationsContract } from './read-model-generations.contract';
import { ReadModelGenerations } from './read-model-generations';

describeReadModelGenerationsContract('SQLite', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'keyhold-generations-')), 'read-models.sqlite');
  return [new SqliteReadModelStore(file), new SqliteReadModelStore(file)];
});

describeWithServer('MONGO_URL', 'Read-model generations on MongoDB', (url) => {
  const databases: string[] = [];
  afterAll(async () => {
    const client = await MongoClient.connect(url);
    for (const name of databases) await client.db(name).dropDatabase();
    await client.close();
  });

  describeReadModelGenerationsContract('MongoDB', async () => {
    const name = `keyhold_generations_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    databases.push(name);
    return [await MongoReadModelStore.connect(url, name), await MongoReadModelStore.connect(url, name)];
  });
});

describe('A rebuild batch on SQLite', () => {
  it('commits its writes together, and none of them when it fails', async () => {
    const store = new SqliteReadModelStore(join(mkdtempSync(join(tmpdir(), 'keyhold-generations-')), 'read-models.sqlite'));
    const generations = await ReadModelGenerations.open(store);
    const notes = generations.at(1).collection({ name: 'notes', indexes: [] });
    await generations.at(1).batch(async () => {
      await notes.putIfNewer({ id: 'kept' }, '1');
    });
    const failing = generations.at(1).batch(async () => {
      await notes.putIfNewer({ id: 'undone' }, '2');
      throw new Error('projection failed');
    });
    await expect(failing).rejects.toThrow('projection failed');
    expect([await notes.get('kept'), await notes.get('undone')]).toEqual([{ id: 'kept' }, null]);
    await generations.close();
  });
});
