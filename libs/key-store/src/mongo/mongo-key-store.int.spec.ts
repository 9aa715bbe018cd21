import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describeWithServer } from '../../../../test/support/real-server';
import { describeKeyStoreContract } from '../testing/key-store.contract';
import { MongoKeyStore } from './mongo-key-store';

describeWithServer('MONGO_URL', 'MongoKeyStore', (url) => {
  const databaseName = `keyhold_keys_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  afterAll(async () => {
    const client = await MongoClient.connect(url);
    await client.db(databaseName).dropDatabase();
    await client.close();
  });

  describeKeyStoreContract('MongoDB', () => MongoKeyStore.connect(url, databaseName));

  it('fails within seconds, naming the server but not its credentials, when it is unreachable', async () => {
    const connecting = MongoKeyStore.connect('mongodb://keyhold:s3cret@127.0.0.1:1/?authSource=admin', databaseName);
    await expect(connecting).rejects.toThrow(/^Cannot connect to MongoDB at mongodb:\/\/127\.0\.0\.1:1\/: /);
    await expect(connecting).rejects.not.toThrow(/s3cret/);
  });
});
