import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SqliteEventStore } from '@keyhold/event-store';
import { issueTokens } from '../../libs/read-models/src/testing/personal-token-events';
import { eventually } from '../support/eventually';
import { KeyholdHarness } from '../support/keyhold-harness';

/** More events behind than a node catches up on its serving thread (2000): the catch-up goes to a worker thread. */
const OWNERS = 25;
const TOKENS_EACH = 100;

type ProjectionHealth = { name: string; serves: string; status: string; behind: boolean };

describe('Serving while the read models catch up', () => {
  it('answers introspections while its read models, far behind, catch up on a worker thread behind a write lock held elsewhere', async () => {
    const first = await KeyholdHarness.start();
    const admin = await first.bootstrap('catch-up');
    const issued = await first.post('/v1/tokens', admin.token, { label: 'probe', scope: 'read' });
    expect(issued.status).toBe(201);
    await first.stop();

    // Events the read models have not seen, as after an outage of the worker.
    const log = new SqliteEventStore(join(first.dataDir, 'events.sqlite'));
    const tenantId = randomUUID();
    await Promise.all(Array.from({ length: OWNERS }, () => issueTokens(log, TOKENS_EACH, randomUUID(), tenantId)));
    const head = (await log.headPosition())!;
    await log.close();

    // A rebuild in another process, as it were, holding the read models' write lock.
    const rebuild = new Database(join(first.dataDir, 'read-models.sqlite'));
    rebuild.exec('BEGIN IMMEDIATE');
    const second = await KeyholdHarness.start(first.dataDir);
    try {
      const introspected = await second.request('POST', '/oauth/introspect', { token: admin.token, form: { token: issued.body.token } });
      expect(introspected.status).toBe(200);
      expect(introspected.body.active).toBe(true);
      const during = await second.get('/health/ready', admin.token);
      const projections = during.body.projections as ProjectionHealth[];
      expect(projections.find((p) => p.name === 'tokens')?.behind).toBe(true);
      // What an operator (and the bench's replay row) tells apart: read models, and the projections no request reads.
      expect(projections.find((p) => p.name === 'tokens')?.serves).toBe('reads');
      expect(projections.find((p) => p.name === 'lifecycle-relay')?.serves).toBe('background');
      // Waiting for the lock is not failing: nothing is reported failing meanwhile.
      expect(projections.filter((p) => p.status !== 'up')).toEqual([]);

      rebuild.exec('COMMIT');
      const caughtUpLine = () => second.logs.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'Read models caught up with the log together');
      expect(await eventually(async () => caughtUpLine() !== undefined, 60_000)).toBe(true);
      expect(caughtUpLine()).toMatchObject({ position: head, onThread: true });
      const after = await second.get('/health/ready', admin.token);
      expect(after.body.head).toBe(head);
      const lagging = (body: { projections: ProjectionHealth[] }, serves: string) => body.projections.filter((p) => p.serves === serves && (p.behind || p.status !== 'up'));
      expect(lagging(after.body, 'reads')).toEqual([]);
      // The relay and the key shredder follow at their paced share of the serving thread, which no request waits for.
      expect(await eventually(async () => lagging((await second.get('/health/ready', admin.token)).body, 'background').length === 0, 60_000)).toBe(true);
    } finally {
      if (rebuild.inTransaction) rebuild.exec('ROLLBACK');
      rebuild.close();
      await second.stop();
    }
  }, 120_000);
});
