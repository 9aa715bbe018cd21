'use strict';
/** The workloads of the benchmark, each a function of the targets it measures. */
const { cpSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const procs = require('./procs');
const kh = require('./keyhold');
const wrk = require('./wrk');
const { readModelProbe } = require('./read-model-probe');
const { dropDatabase, gcPauses } = require('./servers');
const { json, form, log, sleep, summary, pairedRatios, quantile, waitUntil } = require('./util');

const LOAD = join(__dirname, '..', 'load.js');
const SEED = join(__dirname, '..', 'seed.js');

const WRK_AVAILABLE = wrk.available();

/**
 * One closed-loop load from a separate process; the same generator and settings for every
 * target: wrk where it is installed, else autocannon (`plan.generator` forces one).
 */
const runLoad = async (plan, scratch) => {
  const generator = plan.generator ?? (WRK_AVAILABLE ? 'wrk' : 'autocannon');
  if (generator === 'wrk') return wrk.runWrk(plan, scratch);
  const file = join(scratch, `plan-${process.hrtime.bigint()}.json`);
  writeFileSync(file, JSON.stringify(plan));
  try {
    const handle = await procs.run(process.execPath, [LOAD, file], { name: 'load generator' });
    return { generator: 'autocannon', ...JSON.parse(handle.stdout.trim().split('\n').pop()) };
  } finally {
    rmSync(file, { force: true });
  }
};

/**
 * The generators' own ceiling, once per run: the bare server under the same introspection plan
 * loaded by wrk and by autocannon, alternating, so that the report shows which one the targets
 * were measured with and how far above them it reaches.
 */
const generatorCeiling = async (ctx, plan) => {
  const generators = WRK_AVAILABLE ? ['wrk', 'autocannon'] : ['autocannon'];
  const runs = Object.fromEntries(generators.map((g) => [g, []]));
  for (let rep = 0; rep < ctx.config.reps; rep += 1) {
    for (const generator of rep % 2 ? [...generators].reverse() : generators) {
      const result = await runLoad({ ...plan, generator }, ctx.scratch);
      runs[generator].push(result.requestsPerSecond);
      log(`load generator ceiling rep ${rep + 1}: ${generator} against the bare server ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyMs.p99?.toFixed(2)} ms`);
    }
  }
  return { used: generators[0], requestsPerSecond: Object.fromEntries(generators.map((g) => [g, summary(runs[g])])) };
};

const FORM = 'application/x-www-form-urlencoded';

/** A fresh data dir with a tenant, `tokens` seeded active tokens and `loadUsers` members with one token each. */
const prepareDataset = async (ctx, { tokens, loadUsers = 0, mode = 'embedded', label }) => {
  const dir = procs.tempDir(`data-${label}`);
  const dataDir = join(dir, 'data');
  const options = { mode, dataDir, servers: ctx.servers, logDir: ctx.logDir, mongoDatabase: `bench_${label}_${Date.now()}` };
  const admin = await kh.bootstrap(ctx.build, options);
  const secretsFile = join(dir, 'secrets.json');
  const seeded = await procs.run(
    process.execPath,
    [
      SEED,
      ...['--dist', ctx.build.distDir, '--data-dir', dataDir, '--tenant-id', admin.tenantId, '--admin-id', admin.userId],
      ...['--tokens', String(tokens), '--load-users', String(loadUsers), '--sample', '20000', '--out', secretsFile],
    ],
    { name: 'seed' },
  );
  const seed = JSON.parse(seeded.stdout.trim().split('\n').pop());
  const secrets = JSON.parse(readFileSync(secretsFile, 'utf8'));
  rmSync(secretsFile, { force: true }); // plaintexts live in this process only from here on
  log(`seeded ${seed.tokens} tokens, ${seed.users} users, ${seed.events} events in ${seed.seconds.toFixed(1)} s (${label})`);
  return { dir, dataDir, options, admin, seed, secrets };
};

/**
 * A copy of a seeded data set (log, keys, read models) for a workload that changes it, in `mode`
 * (a Mongo database of its own): one seeding serves every workload of the run.
 */
const copyDataset = (source, { mode = 'embedded', label }) => {
  const dir = procs.tempDir(`data-${label}`);
  const dataDir = join(dir, 'data');
  cpSync(source.dataDir, dataDir, { recursive: true });
  return { ...source, dir, dataDir, options: { ...source.options, mode, dataDir, mongoDatabase: `bench_${label}_${Date.now()}` } };
};

/** Drops the read models so that a node rebuilds them from the log (the path a rebuild takes). */
const dropReadModels = (dataDir) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `read-models.sqlite${suffix}`), { force: true });
};

/**
 * Workload 6: a fresh node on a data dir holding only the log and the keys, timed until
 * /health/ready shows no read model behind (`serves: 'reads'`: what requests read). The relay
 * and the key shredder (`serves: 'background'`) are not waited for: the seeded data set has
 * their checkpoints at its head, and the Kafka + Mongo configuration keeps them in MongoDB, where
 * a fresh database has none, so there the relay publishes the log again at its share of the
 * serving thread (the restored-log cause of workload 8 measures that). `listeningMs` is when the
 * API answered (its credential index loaded from the log), `readyMs` when every read model had
 * caught up.
 */
const readModelsOf = (ready) => (ready?.projections ?? []).filter((p) => p.serves === 'reads');

const replay = async (ctx, dataset, mode, budgetMs) => {
  const options = { ...dataset.options, mode, mongoDatabase: `bench_replay_${mode}_${Date.now()}`, label: `replay-${mode}` };
  const node = await kh.startNode(ctx.build, options);
  let last = null;
  let readyAt = null;
  for (;;) {
    if (!node.handle.alive()) throw new Error(`the replaying node exited (${node.handle.code})`);
    last = await json(`${node.url}/health/ready`, { headers: { authorization: `Bearer ${dataset.admin.token}` } }, 5000).catch(() => last);
    const projections = readModelsOf(last?.body);
    if (last?.status === 200 && projections.length > 0 && projections.every((p) => !p.behind)) {
      readyAt = Date.now();
      break;
    }
    if (Date.now() - node.startedAt > budgetMs) break;
    await sleep(250);
  }
  const elapsed = ((readyAt ?? Date.now()) - node.startedAt) / 1000;
  const positions = Object.fromEntries(readModelsOf(last?.body).map((p) => [p.name, p.position === null ? 0 : Number(p.position)]));
  const slowest = Math.min(...Object.values(positions));
  // The SQLite log's positions count its events: its head is how many there are.
  const events = Number(last?.body?.head ?? dataset.seed.events + 3);
  const result = {
    mode,
    events,
    complete: readyAt !== null,
    listeningSeconds: (node.listeningAt - node.startedAt) / 1000,
    readySeconds: readyAt ? elapsed : null,
    eventsPerSecond: readyAt ? events / elapsed : slowest / elapsed,
    positionsWhenMeasured: positions,
    secondsWhenMeasured: elapsed,
    rssBytes: procs.groupRss(node.pid),
  };
  log(
    readyAt
      ? `replay ${mode}: ${events} events, listening after ${result.listeningSeconds.toFixed(1)} s, all read models after ${elapsed.toFixed(1)} s (${Math.round(result.eventsPerSecond)} events/s)`
      : `replay ${mode}: not done within the ${Math.round(budgetMs / 1000)} s budget; slowest projection at ${slowest} of ${events} events (${JSON.stringify(positions)})`,
  );
  return { node, result, mongoDatabase: options.mongoDatabase };
};

const introspectionPlan = (ctx, url, authorization, tokens) => ({
  url: `${url}/oauth/introspect`,
  method: 'POST',
  headers: { authorization, 'content-type': FORM },
  bodies: tokens.map((token) => form({ token })),
  connections: ctx.config.connections,
  durationSeconds: ctx.config.durationSeconds,
  check: 'active',
});

/**
 * Runs `fn` with every other server of the run frozen (SIGSTOP, as `scripts/test-servers.sh
 * pause` does), so that a target is measured alone: Keycloak's JVM, Kafka and the MongoDB
 * stand-in keep threads busy even when idle. `ctx.pausable` lists them ({ name, pid, group });
 * `needs` names those the target uses. Whatever was frozen is thawed again, also on failure.
 */
const alone = async (ctx, needs, fn) => {
  const frozen = (ctx.pausable ?? []).filter((server) => !needs.includes(server.name));
  const signal = (sig) => {
    for (const server of frozen) {
      try {
        process.kill(server.group ? -server.pid : server.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGSTOP');
  try {
    return await fn();
  } finally {
    signal('SIGCONT');
  }
};

/**
 * Runs every target of a sitting in turn, `reps` times, the order rotated at each repetition so
 * that no target always comes first after a quiet moment; each target is warmed up first.
 */
const sitting = async (ctx, name, targets) => {
  const available = targets.filter((t) => !t.unavailable);
  for (const target of available) {
    log(`${name}: warming up ${target.name} for ${target.warmupSeconds ?? ctx.config.warmupSeconds} s`);
    await alone(ctx, target.needs ?? [], () => runLoad({ ...target.plan, durationSeconds: target.warmupSeconds ?? ctx.config.warmupSeconds }, ctx.scratch));
  }
  const runs = Object.fromEntries(available.map((t) => [t.name, []]));
  for (let rep = 0; rep < ctx.config.reps; rep += 1) {
    for (let k = 0; k < available.length; k += 1) {
      const target = available[(k + rep) % available.length];
      const result = await alone(ctx, target.needs ?? [], () => runLoad(target.plan, ctx.scratch));
      result.rep = rep;
      runs[target.name].push(result);
      log(
        `${name} rep ${rep + 1}/${ctx.config.reps} ${target.name}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50?.toFixed(2)} ms, p99 ${result.latencyMs.p99?.toFixed(2)} ms, non2xx ${result.non2xx}, checked ${result.checked.ok}/${result.checked.sampled}`,
      );
      if (result.checked.bad > 0) log(`  ${target.name}: ${result.checked.bad} sampled answers were wrong, e.g. ${result.checked.example}`);
    }
  }
  return Object.fromEntries(
    targets.map((t) => [t.name, t.unavailable ? { unavailable: t.unavailable } : summariseRuns(runs[t.name], t)]),
  );
};

/** Medians and spread of a target's repetitions; a repetition with wrong answers does not count as throughput. */
const summariseRuns = (runs, target) => {
  const valid = (run) => run.errors === 0 && run.non2xx === 0 && run.checked.bad === 0;
  const rps = runs.map((run) => (valid(run) ? run.requestsPerSecond : NaN));
  return {
    label: target.label ?? target.name,
    requestsPerSecond: summary(rps),
    latencyMs: {
      p50: summary(runs.map((r) => r.latencyMs.p50)),
      p99: summary(runs.map((r) => r.latencyMs.p99)),
      p99_9: summary(runs.map((r) => r.latencyMs.p99_9)),
    },
    invalidRuns: runs.filter((run) => !valid(run)).map((run) => ({ rep: run.rep, non2xx: run.non2xx, errors: run.errors, example: run.checked.example, statusCodes: run.statusCodes })),
    runs,
  };
};

/** Ratios of two targets measured in the same sitting, repetition by repetition. */
const ratio = (results, numerator, denominator, metric = (run) => run.requestsPerSecond) => {
  const a = results[numerator];
  const b = results[denominator];
  if (!a?.runs || !b?.runs) return null;
  const byRep = (runs) => Object.fromEntries(runs.map((run) => [run.rep, metric(run)]));
  const x = byRep(a.runs);
  const y = byRep(b.runs);
  const reps = Object.keys(x).filter((rep) => rep in y);
  return pairedRatios(reps.map((rep) => x[rep]), reps.map((rep) => y[rep]));
};

const grant = (url, basic) =>
  json(`${url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': FORM }, body: form({ grant_type: 'client_credentials' }) });

/**
 * Does `url` grant client_credentials to `basic`? Waits up to `timeoutMs` (a node on a shared log
 * learns of a new service account from its poll of the log); answers null, or why not.
 */
const grantRefusal = async (url, basic, timeoutMs = 0) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const token = await grant(url, basic);
    if (token.status === 200 && typeof token.body?.access_token === 'string') return null;
    if (Date.now() >= deadline) return `client_credentials for a service account answered ${token.status} ${JSON.stringify(token.body).slice(0, 200)}`;
    await sleep(200);
  }
};

/**
 * Is the client_credentials grant served? Creates a service account through the API and asks
 * for a token with client_secret_basic; answers the client's credentials, or why not.
 */
const provisionClientCredentials = async (url, adminToken) => {
  const probe = await grant(url, `Basic ${Buffer.from('nobody:nothing').toString('base64')}`);
  if (probe.status === 404) return { unavailable: 'not available yet: POST /oauth/token is not served (404) by this build' };
  const created = await json(`${url}/v1/service-accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench-client-${Date.now()}` }),
  });
  const clientId = created.body?.clientId ?? created.body?.id;
  const secret = created.body?.clientSecret;
  if (created.status !== 201 || !clientId || !secret) {
    return { unavailable: `not available yet: creating a service account (POST /v1/service-accounts) answered ${created.status} ${JSON.stringify(created.body).slice(0, 200)}` };
  }
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const refusal = await grantRefusal(url, basic);
  return refusal ? { unavailable: `not available yet: ${refusal}` } : { basic };
};

const tokenPlan = (ctx, url, basic) => ({
  url,
  method: 'POST',
  headers: { authorization: basic, 'content-type': FORM },
  bodies: [form({ grant_type: 'client_credentials' })],
  connections: ctx.config.connections,
  durationSeconds: ctx.config.durationSeconds,
  check: 'access_token',
});

const issuePlan = (ctx, url, users) => ({
  url: `${url}/v1/tokens`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  bodies: [JSON.stringify({ label: 'load-{n}', scope: 'read' })],
  labelTemplate: true,
  perRequest: { headers: users.map((user) => ({ authorization: `Bearer ${user.secret}` })) },
  connections: ctx.config.commandConnections,
  durationSeconds: ctx.config.commandSeconds,
  check: 'created',
});

/**
 * Workload 4's probe, run beside the command load: issues a token every `everyMs`, and from the
 * 201 polls GET /v1/tokens/{id} until the read model shows it. Lag is counted from the 201
 * (the append came just before it) and, as an upper bound, from when the request was sent.
 * Each sample also keeps how many GETs it took and how long the GET that saw the token took:
 * when the first GET already sees it, the lag is that GET's own time in the API node's queue
 * under the command load, not the worker's. With `readModel` (read-model-probe.js), the same
 * 201 also starts a look straight into the store every millisecond, beside the GETs: the
 * projection's own lag, which is what the goal bounds.
 */
const lagProbe = (url, users, everyMs = 100, readModel = null) => {
  const samples = [];
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      const user = users[n % users.length];
      n += 1;
      const headers = { authorization: `Bearer ${user.secret}`, 'content-type': 'application/json' };
      const sent = performance.now();
      const issued = await json(`${url}/v1/tokens`, { method: 'POST', headers, body: JSON.stringify({ label: `probe-${process.pid}-${Date.now()}-${n}`, scope: 'read' }) });
      const acked = performance.now();
      if (issued.status !== 201) {
        samples.push({ error: `${issued.status} ${JSON.stringify(issued.body).slice(0, 120)}` });
      } else {
        const inReadModel = readModel ? timeUntilStored(readModel, issued.body.id, acked) : null;
        for (let gets = 1; ; gets += 1) {
          const asked = performance.now();
          const seen = await json(`${url}/v1/tokens/${issued.body.id}`, { headers: { authorization: headers.authorization } });
          if (seen.status === 200) {
            const visible = performance.now();
            samples.push({ afterAckMs: visible - acked, afterSendMs: visible - sent, gets, lastGetMs: visible - asked, ...(inReadModel ? { storedAfterAckMs: await inReadModel } : {}) });
            break;
          }
          if (performance.now() - acked > 30_000) {
            samples.push({ error: 'not visible within 30 s' });
            await inReadModel;
            break;
          }
          await sleep(2);
        }
      }
      await sleep(everyMs);
    }
  })();
  return {
    count: () => samples.length,
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
};

/** Milliseconds from `acked` until the read model holds document `id` (null: not within 30 s). */
const timeUntilStored = async (readModel, id, acked) => {
  while (performance.now() - acked <= 30_000) {
    if (await readModel.has(id)) return performance.now() - acked;
    await sleep(1);
  }
  return null;
};

const lagSummary = (samples) => {
  const ok = samples.filter((s) => s.error === undefined);
  return {
    samples: ok.length,
    errors: samples.length - ok.length,
    firstError: samples.find((s) => s.error)?.error ?? null,
    afterAckMs: { p50: quantile(ok.map((s) => s.afterAckMs), 0.5), p99: quantile(ok.map((s) => s.afterAckMs), 0.99), max: quantile(ok.map((s) => s.afterAckMs), 1) },
    afterSendMs: { p50: quantile(ok.map((s) => s.afterSendMs), 0.5), p99: quantile(ok.map((s) => s.afterSendMs), 0.99), max: quantile(ok.map((s) => s.afterSendMs), 1) },
    seenByFirstGet: ok.filter((s) => s.gets === 1).length,
    lastGetMs: { p50: quantile(ok.map((s) => s.lastGetMs), 0.5), p99: quantile(ok.map((s) => s.lastGetMs), 0.99) },
    ...storedSummary(ok),
  };
};

/** The read model's own lag, where the probe looked into it; a sample it never saw there counts as a failure. */
const storedSummary = (ok) => {
  const looked = ok.filter((s) => 'storedAfterAckMs' in s);
  if (looked.length === 0) return {};
  const stored = looked.map((s) => s.storedAfterAckMs).filter((ms) => ms !== null);
  return {
    storedAfterAckMs: { p50: quantile(stored, 0.5), p99: quantile(stored, 0.99), max: quantile(stored, 1) },
    storedMissing: looked.length - stored.length,
  };
};

/** Workloads 3 and 4 on one configuration: the default single process, then api and worker split. */
const commands = (ctx, mode) => alone(ctx, mode === 'kafka-mongo' ? ['kafka', 'mongo'] : [], () => commandsAlone(ctx, mode));

const commandsAlone = async (ctx, mode) => {
  const dataset = copyDataset(ctx.smallSeed, { mode, label: `commands-${mode}` });
  const loadUsers = dataset.secrets.loadUsers.slice(0, ctx.config.loadUsers);
  const probeUsers = dataset.secrets.loadUsers.slice(ctx.config.loadUsers);
  const out = { mode, topologies: {}, ...(mode === 'kafka-mongo' ? { standInJvm: ctx.servers.mongoJvm } : {}) };

  const measure = async (topology, apiNode) => {
    const runs = [];
    const lags = [];
    const readModel = await readModelProbe({ ...dataset.options, servers: ctx.servers });
    const began = Date.now();
    for (let rep = 0; rep < ctx.config.reps; rep += 1) {
      const probe = lagProbe(apiNode.url, probeUsers, 100, readModel);
      const result = await runLoad(issuePlan(ctx, apiNode.url, loadUsers.slice(rep % 2)), ctx.scratch);
      lags.push(...(await probe.stop()));
      result.rep = rep;
      runs.push(result);
      log(
        `commands ${mode} ${topology} rep ${rep + 1}: ${Math.round(result.requestsPerSecond)} tokens/s, p50 ${result.latencyMs.p50?.toFixed(1)} ms, p99 ${result.latencyMs.p99?.toFixed(1)} ms, non2xx ${result.non2xx}${result.checked.example ? ` (${result.checked.example})` : ''}`,
      );
    }
    const ended = Date.now();
    await readModel.close();
    const summaryOf = summariseRuns(runs, { name: `${mode}-${topology}` });
    // The stand-in's own pauses while the probe ran: lag that a real MongoDB would not add.
    const standInGc = mode === 'kafka-mongo' ? gcPauses(ctx.servers, began, ended) : null;
    return { ...summaryOf, lag: { ...lagSummary(lags), ...(standInGc ? { standInGc } : {}) } };
  };

  // The default: api and worker in one process; a command answers once its events are in every
  // local projection (read-your-writes), so the probe should see the token at once.
  let node = await kh.startNode(ctx.build, { ...dataset.options, label: `commands-${mode}` });
  await kh.waitCaughtUp(node, dataset.admin.token);
  out.topologies.single = await measure('single process', node);
  await kh.stopNode(node);

  // api and worker as two processes on the same data: the API answers after the append and its
  // own credential index; the read models follow in the worker.
  const worker = await kh.startNode(ctx.build, { ...dataset.options, roles: 'worker', label: `worker-${mode}` });
  node = await kh.startNode(ctx.build, { ...dataset.options, roles: 'api', label: `api-${mode}` });
  // The worker has caught up with the data set once a token issued now shows in the read model.
  const warm = lagProbe(node.url, probeUsers.slice(-1), 0);
  await waitUntil('the worker caught up', async () => warm.count() > 0, { timeoutMs: 10 * 60_000, intervalMs: 200 });
  await warm.stop();
  out.topologies.split = await measure('api + worker', node);
  await kh.stopNode(node);
  await kh.stopNode(worker);
  if (mode === 'kafka-mongo') await dropDatabase(ctx.servers, dataset.options.mongoDatabase);
  procs.removeTempDir(dataset.dir);
  return out;
};

module.exports = {
  runLoad,
  alone,
  generatorCeiling,
  prepareDataset,
  copyDataset,
  dropReadModels,
  replay,
  introspectionPlan,
  tokenPlan,
  sitting,
  ratio,
  provisionClientCredentials,
  grantRefusal,
  commands,
  FORM,
};
