'use strict';
/**
 * Workload 5: a token is revoked on node A; node B is asked (introspection) every 2 ms until it
 * answers inactive. Two setups, one probe:
 * - embedded: A (api + worker) and B (api) share one DATA_DIR and its SQLite log; B learns of the
 *   revocation from the log, whose new commits it notices by `PRAGMA data_version` (every 10 ms);
 * - Kafka + Mongo: a worker and two API-only nodes on one SQLite log, the bus on Kafka; B hears
 *   the revocation on `keyhold.lifecycle.v1` from the worker's relay, usually before its own poll
 *   of the log brings the event: the figure is the sooner of the two, as a client would see it.
 */
const kh = require('./keyhold');
const procs = require('./procs');
const { json, log, quantile, sleep, waitUntil } = require('./util');
const { prepareDataset } = require('./workloads');

const PROBE_EVERY_MS = 2;
const GIVE_UP_MS = 10_000;

/** Both nodes hear the relay's heartbeat: their lifecycle consumers have joined (readiness detail needs an admin's token). */
const waitFresh = (node, adminToken) =>
  waitUntil(
    `keyhold ${node.port} hearing the lifecycle relay`,
    async () => (await json(`${node.url}/health/ready`, { headers: { authorization: `Bearer ${adminToken}` } }, 5000)).body?.revocationFeed?.state === 'fresh',
    { timeoutMs: 60_000, intervalMs: 250, alive: node.handle.alive },
  );

const percentiles = (values) => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: quantile(values, 1) });

const probeUntil = async (node, admin, token, active, what, since) => {
  while ((await kh.introspect(node.url, admin, token)).body?.active !== active) {
    if (performance.now() - since > GIVE_UP_MS) throw new Error(what);
    await sleep(PROBE_EVERY_MS);
  }
};

/** Issue on A, wait until B accepts, revoke on A, time until B rejects; `samples` times. */
const sampleRevocations = async (a, b, admin, samples, label) => {
  const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  const measured = [];
  for (let i = 0; i < samples; i += 1) {
    const issued = await json(`${a.url}/v1/tokens`, { method: 'POST', headers, body: JSON.stringify({ label: `${label}-${i}`, scope: 'read' }) });
    if (issued.status !== 201) throw new Error(`issuing on A: ${issued.status} ${JSON.stringify(issued.body)}`);
    const { id, token } = issued.body;
    const issuedAt = performance.now();
    await probeUntil(b, admin, token, true, 'B never saw the new token', issuedAt);
    const issueSeenMs = performance.now() - issuedAt;
    await sleep(Math.random() * 200); // revocations land at any phase of B's polling of the log
    const sent = performance.now();
    const revoked = await json(`${a.url}/v1/tokens/${id}/revoke`, { method: 'POST', headers, body: JSON.stringify({ reason: 'bench' }) });
    const acked = performance.now();
    if (revoked.status !== 200) throw new Error(`revoking on A: ${revoked.status} ${JSON.stringify(revoked.body)}`);
    const onA = (await kh.introspect(a.url, admin, token)).body?.active;
    await probeUntil(b, admin, token, false, 'B never rejected the revoked token', acked);
    const rejected = performance.now();
    measured.push({ afterAckMs: rejected - acked, afterSendMs: rejected - sent, rejectedOnAAtAck: onA === false, issueSeenMs });
  }
  const pick = (key) => measured.map((sample) => sample[key]);
  return {
    samples: measured.length,
    rejectedOnAAtAck: measured.filter((sample) => sample.rejectedOnAAtAck).length,
    afterAckMs: percentiles(pick('afterAckMs')),
    afterSendMs: percentiles(pick('afterSendMs')),
    newTokenSeenMs: percentiles(pick('issueSeenMs')),
  };
};

const revocationEmbedded = async (ctx) => {
  const dataset = await prepareDataset(ctx, { tokens: 0, loadUsers: 0, mode: 'embedded', label: 'revocation' });
  const a = await kh.startNode(ctx.build, { ...dataset.options, label: 'revoke-a' });
  const b = await kh.startNode(ctx.build, { ...dataset.options, roles: 'api', label: 'revoke-b' });
  try {
    const result = await sampleRevocations(a, b, dataset.admin.token, ctx.config.revocationSamples, 'revocation');
    log(`revocation A→B (embedded, shared SQLite log): p50 ${result.afterAckMs.p50.toFixed(1)} ms, p99 ${result.afterAckMs.p99.toFixed(1)} ms after A's answer`);
    return result;
  } finally {
    await kh.stopNode(b);
    await kh.stopNode(a);
    procs.removeTempDir(dataset.dir);
  }
};

const revocationOverKafka = async (ctx) => {
  const dataset = await prepareDataset(ctx, { tokens: 0, loadUsers: 0, mode: 'kafka-mongo', label: 'revocation-kafka' });
  const worker = await kh.startNode(ctx.build, { ...dataset.options, roles: 'worker', label: 'revoke-kafka-worker' });
  const a = await kh.startNode(ctx.build, { ...dataset.options, roles: 'api', label: 'revoke-kafka-a' });
  const b = await kh.startNode(ctx.build, { ...dataset.options, roles: 'api', label: 'revoke-kafka-b' });
  try {
    await Promise.all([waitFresh(a, dataset.admin.token), waitFresh(b, dataset.admin.token)]);
    const result = await sampleRevocations(a, b, dataset.admin.token, ctx.config.revocationSamples, 'revocation-kafka');
    log(`revocation A→B (Kafka): p50 ${result.afterAckMs.p50.toFixed(1)} ms, p99 ${result.afterAckMs.p99.toFixed(1)} ms after A's answer`);
    return result;
  } finally {
    await Promise.all([kh.stopNode(b), kh.stopNode(a)]);
    await kh.stopNode(worker);
    procs.removeTempDir(dataset.dir);
  }
};

module.exports = { revocationEmbedded, revocationOverKafka };
