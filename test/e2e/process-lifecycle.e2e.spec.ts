import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyholdHarness } from '../support/keyhold-harness';

describe('Process lifecycle', () => {
  it.each([
    ['EventStoreDB', { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false' }],
    ['MongoDB', { READ_MODELS: 'mongo', MONGO_URL: 'mongodb://127.0.0.1:1' }],
    ['Kafka', { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:1' }],
  ])('stops at start-up within seconds, naming %s, when it is unreachable', async (name, env) => {
    const started = Date.now();
    await expect(KeyholdHarness.start(mkdtempSync(join(tmpdir(), 'keyhold-unreachable-')), env)).rejects.toThrow(name);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);

  it('finishes in-flight commands and saves checkpoints when it shuts down', async () => {
    const first = await KeyholdHarness.start();
    const admin = await first.bootstrap('shutdown');
    const inFlight = Array.from({ length: 20 }, (_, n) => first.post('/v1/tokens', admin.token, { label: `in flight ${n}`, scope: 'read' }));
    // Stop once the server is busy with them: the first answer means the rest are arriving or running.
    await Promise.race(inFlight);
    await first.stop();
    const answered = (await Promise.allSettled(inFlight)).map((r, n) => ({ label: `in flight ${n}`, response: r.status === 'fulfilled' ? r.value : null }));
    // A request is either handled in full (201) or refused at the door while closing (503, or
    // no connection): nothing in between.
    for (const { response } of answered) if (response) expect([201, 503]).toContain(response.status);
    const issued = answered.filter((a) => a.response?.status === 201).map((a) => a.response!.body.id as string);
    const refused = answered.filter((a) => a.response?.status !== 201).map((a) => a.label);
    expect(issued.length).toBeGreaterThan(0);

    const second = await KeyholdHarness.start(first.dataDir);
    try {
      const listed = await second.get('/v1/tokens?limit=200', admin.token);
      expect(listed.body.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(issued));
      const labels = listed.body.items.map((t: { label: string }) => t.label);
      for (const label of refused) expect(labels).not.toContain(label);
      const ready = await second.get('/health/ready', admin.token);
      expect(ready.body.projections.filter((p: { behind: boolean }) => p.behind)).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
