import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeReadModelStoreContract } from '../testing/read-model-store.contract';
import { SqliteReadModelStore } from './sqlite-read-model-store';

describeReadModelStoreContract('SQLite', async () =>
  new SqliteReadModelStore(join(mkdtempSync(join(tmpdir(), 'keyhold-rm-')), 'read-models.sqlite')),
);
