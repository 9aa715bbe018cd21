import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventToAppend } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { SqliteEventStore, sqlitePosition } from './sqlite-event-store';

const contractLog = join(mkdtempSync(join(tmpdir(), 'keyhold-es-')), 'events.sqlite');
describeEventStoreContract('SQLite', async () => new SqliteEventStore(contractLog));

describe('SQLite group commit', () => {
  let store: SqliteEventStore;
  beforeAll(() => {
    store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-es-')), 'events.sqlite'));
  });
  afterAll(() => store.close());

  const event = (type: string, eventId = randomUUID()): EventToAppend => ({
    type,
    data: {},
    metadata: {
      eventId,
      tenantId: 'tenant',
      actorId: 'system:test',
      correlationId: randomUUID(),
      causationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  });

  it('applies the appends of one batch in call order: each sees the ones queued before it', async () => {
    const name = `batch-${randomUUID()}`;
    const results = await Promise.all([
      store.append(name, [event('A')], 'no_stream'),
      store.append(name, [event('B')], 0),
      store.append(name, [event('C'), event('D')], 1),
    ]);
    expect(results.map((r) => r.nextExpectedRevision)).toEqual([0, 1, 3]);
    expect((await store.readStream(name)).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('rolls back a failing append whole, after it wrote part of its events, and commits the rest of its batch', async () => {
    const taken = randomUUID();
    const first = `batch-${randomUUID()}`;
    const failing = `batch-${randomUUID()}`;
    const last = `batch-${randomUUID()}`;
    const results = await Promise.allSettled([
      store.append(first, [event('Mine', taken)], 'no_stream'),
      store.append(failing, [event('Written'), event('Duplicate', taken)], 'no_stream'),
      store.append(last, [event('After')], 'no_stream'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.readStream(failing)).toEqual([]);
    expect((await store.readStream(first)).map((e) => e.type)).toEqual(['Mine']);
    expect((await store.readStream(last)).map((e) => e.type)).toEqual(['After']);
    // The stream that failed is still creatable: nothing of it was left behind.
    await expect(store.append(failing, [event('Again')], 'no_stream')).resolves.toMatchObject({ nextExpectedRevision: 0 });
  });

  it('refuses a duplicate event id with SQLite\'s own error and code, though the writer thread wrote it', async () => {
    const taken = randomUUID();
    await store.append(`batch-${randomUUID()}`, [event('Mine', taken)], 'no_stream');
    const refused = store.append(`batch-${randomUUID()}`, [event('Again', taken)], 'no_stream');
    await expect(refused).rejects.toBeInstanceOf(Database.SqliteError);
    await expect(refused).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
  });

  it('refuses appends once closed, and its file keeps what was acknowledged', async () => {
    const filename = join(mkdtempSync(join(tmpdir(), 'keyhold-es-')), 'events.sqlite');
    const closing = new SqliteEventStore(filename);
    const name = `batch-${randomUUID()}`;
    await closing.append(name, [event('Before')], 'no_stream');
    await closing.close();
    await expect(closing.append(name, [event('After')], 0)).rejects.toThrow('closed');
    const reopened = new SqliteEventStore(filename);
    expect((await reopened.readStream(name)).map((e) => e.type)).toEqual(['Before']);
    await reopened.close();
  });

  it('writes appends still queued when the store closes', async () => {
    const filename = join(mkdtempSync(join(tmpdir(), 'keyhold-es-')), 'events.sqlite');
    const closing = new SqliteEventStore(filename);
    const name = `batch-${randomUUID()}`;
    const appended = closing.append(name, [event('Queued')], 'no_stream');
    await closing.close();
    await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 0 });
    const reopened = new SqliteEventStore(filename);
    expect((await reopened.readStream(name)).map((e) => e.type)).toEqual(['Queued']);
    await reopened.close();
  });

  it('answers readAll from the newest events it read exactly as the file does, across its own and another store\'s appends', async () => {
    const filename = join(mkdtempSync(join(tmpdir(), 'keyhold-es-')), 'events.sqlite');
    const [reader, other] = [new SqliteEventStore(filename), new SqliteEventStore(filename)];
    const positionsOf = (events: readonly { globalPosition: string }[]) => events.map((e) => Number(e.globalPosition));
    let seed = 7;
    const random = (below: number) => (seed = (seed * 48271) % 2147483647) % below;
    try {
      for (let step = 0; step < 300; step += 1) {
        const writer = random(2) === 0 ? reader : other;
        await writer.append(`mix-${random(5)}`, Array.from({ length: 1 + random(6) }, () => event('Mixed')), 'any');
        const head = Number(await reader.headPosition());
        if (step === 299) expect(head).toBeGreaterThan(1000); // more than the store keeps, so the oldest were let go
        for (let look = 0; look < 3; look += 1) {
          const after = random(head + 2);
          const limit = 1 + random(40);
          const expected = positionsOf(await reader.readAllAsStored(sqlitePosition(after), limit));
          expect([after, limit, positionsOf(await reader.readAll(sqlitePosition(after), limit))]).toEqual([after, limit, expected]);
        }
      }
    } finally {
      await reader.close();
      await other.close();
    }
  });
});
