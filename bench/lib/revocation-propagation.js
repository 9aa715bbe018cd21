'use strict';
/**
 * Workload 5 on Kafka: a worker and two API-only nodes, A and B, over one SQLite log with the
 * bus on Kafka (read models in the MongoDB stand-in). A token is revoked on A; B is asked
 * (introspection) every 2 ms until it answers inactive. B hears the revocation on
 * `keyhold.lifecycle.v1` from the worker's relay, usually before its own poll of the log (every
 * 200 ms) brings the event: the figure is the sooner of the two, as a client would see it.
 */
const kh = require('./keyhold');
const procs = require('./procs');
const { json, log, quantile, sleep, waitUntil } = require('./util');
const { prepareDataset } = require('./workloads');

const PROBE_EVERY_MS = 2;
const GIVE_UP_MS = 10_000;

/** Both nodes hear the relay's heartbeat: their lifecycle consumers have joined. */
const waitFresh = (node) =>
  waitUntil(
    `keyhold ${node.port} hearing the lifecycle relay`,
    async () => (await json(`${node.url}/health/ready`, {}, 5000)).body?.revocationFeed?.state === 'fresh',
    { timeoutMs: 60_000, intervalMs: 250, alive: node.handle.alive },
  );

const percentiles = (values) => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: quantile(values, 1) });

const revocationOverKafka = async (ctx) => {
  const dataset = await prepareDataset(ctx, { tokens: 0, loadUsers: 0, mode: 'kafka-mongo', label: 'revocation-kafka' });
  const worker = await kh.startNode(ctx.build, { ...dataset.options, roles: 'worker', label: 'revoke-kafka-worker' });
  const a = await kh.startNode(ctx.build, { ...dataset.options, roles: 'api', label: 'revoke-kafka-a' });
  const b = await kh.startNode(ctx.build, { ...dataset.options, roles: 'api', label: 'revoke-kafka-b' });
  try {
    await Promise.all([waitFresh(a), waitFresh(b)]);
    const admin = dataset.admin.token;
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const samples = [];
    for (let i = 0; i < ctx.config.revocationSamples; i += 1) {
      const issued = await json(`${a.url}/v1/tokens`, { method: 'POST', headers, body: JSON.stringify({ label: `revocation-kafka-${i}`, scope: 'read' }) });
      if (issued.status !== 201) throw new Error(`issuing on A: ${issued.status} ${JSON.stringify(issued.body)}`);
      const { id, token } = issued.body;
      const issuedAt = performance.now();
      while ((await kh.introspect(b.url, admin, token)).body?.active !== true) {
        if (performance.now() - issuedAt > GIVE_UP_MS) throw new Error('B never saw the new token');
        await sleep(PROBE_EVERY_MS);
      }
      await sleep(Math.random() * 200); // revocations land at any phase of B's polling of the log
      const sent = performance.now();
      const revoked = await json(`${a.url}/v1/tokens/${id}/revoke`, { method: 'POST', headers, body: JSON.stringify({ reason: 'bench' }) });
      const acked = performance.now();
      if (revoked.status !== 200) throw new Error(`revoking on A: ${revoked.status} ${JSON.stringify(revoked.body)}`);
      while ((await kh.introspect(b.url, admin, token)).body?.active !== false) {
        if (performance.now() - acked > GIVE_UP_MS) throw new Error('B never rejected the revoked token');
        await sleep(PROBE_EVERY_MS);
      }
      const rejected = performance.now();
      samples.push({ afterAckMs: rejected - acked, afterSendMs: rejected - sent });
    }
    const result = {
      samples: samples.length,
      afterAckMs: percentiles(samples.map((s) => s.afterAckMs)),
      afterSendMs: percentiles(samples.map((s) => s.afterSendMs)),
    };
    log(`revocation A→B (Kafka): p50 ${result.afterAckMs.p50.toFixed(1)} ms, p99 ${result.afterAckMs.p99.toFixed(1)} ms after A's answer`);
    return result;
  } finally {
    await Promise.all([kh.stopNode(b), kh.stopNode(a)]);
    await kh.stopNode(worker);
    procs.removeTempDir(dataset.dir);
  }
};

module.exports = { revocationOverKafka };
