import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';

describeEventStoreContract('SQLite', async () =>
  new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-es-')), 'events.sqlite')),
);
