'use strict';
/**
 * Keyhold's benchmark, side by side with the machine's limit (a bare Fastify server) and a peer
 * (Keycloak), in one run. See the "Performance" section of the README.
 *
 *   npm run bench               # quick mode: 100k tokens, 3 repetitions of 5 s (under 10 minutes)
 *   npm run bench:full          # every workload at 100k and 1M tokens, 3 repetitions of 10 s (about 35 minutes)
 *   node bench/run.js [--quick|--full] [--ref <git ref>] [--out <dir>] [--no-peer] [--no-servers] [--tokens 100000,1000000]
 *
 * Writes bench/results/<mode>-<timestamp>.{json,md,png} and latest-<mode>.{json,md,png}; every goal
 * of issue 18 is a row of the report's goals table, computed from the figures (lib/goals.js).
 * What each workload measures: bench/README.md.
 * Everything it starts (nodes, Keycloak, Kafka, the MongoDB stand-in, scratch data dirs) is
 * stopped and removed at the end, also on failure or Ctrl-C.
 */
const { cpus, totalmem, loadavg, release, tmpdir } = require('node:os');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { parseArgs } = require('node:util');
const procs = require('./lib/procs');
const kh = require('./lib/keyhold');
const w = require('./lib/workloads');
const revocation = require('./lib/revocation-propagation');
const catchUp = require('./lib/catch-up');
const { goals } = require('./lib/goals');
const { build } = require('./lib/build');
const { dropDatabase } = require('./lib/servers');
const { log, json, waitUntil } = require('./lib/util');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    ref: { type: 'string' },
    out: { type: 'string', default: join(__dirname, 'results') },
    'no-peer': { type: 'boolean', default: false },
    'no-servers': { type: 'boolean', default: false },
    // The sizes of token store instead of the mode's (development, or 1M alone).
    tokens: { type: 'string' },
  },
});
const MODE = args.full ? 'full' : 'quick';

// `connections` for the HTTP sittings (10, as the issue measured); `commandConnections` for
// POST /v1/tokens, whose closed loop at 10 connections is bound by fsync latency (10 appends per
// fsync at most) rather than by the server. Catch-up windows alternate introspection and
// client_credentials, `catchUpMaxWindows` at most per cause of catch-up: in the full run enough for
// the whole catch-up at each size, since its end (a rebuild's index builds, switch-over and
// clearing the old generation) is where a serving node's writes wait longest; until 2026-11-29
// the full run stopped after 6 windows (30 s), a sixth of a 1M rebuild. The quick run keeps to
// 8 windows (24 s) per cause so that, with three causes, it stays under 10 minutes: a restart's
// catch-up at 100k can outlast them on a busy machine.
const CONFIGS = {
  quick: {
    tokenCounts: [100_000],
    reps: 3,
    connections: 10,
    durationSeconds: 5,
    warmupSeconds: 3,
    keycloakWarmupSeconds: 40,
    commandSeconds: 5,
    commandConnections: 50,
    loadUsers: 1000,
    revocationSamples: 40,
    catchUpWindowSeconds: 3,
    catchUpMaxWindows: 8,
    replayTimeoutMs: 20 * 60_000,
    kafkaMongoReplayBudgetMs: 30_000,
  },
  full: {
    tokenCounts: [100_000, 1_000_000],
    reps: 3,
    connections: 10,
    durationSeconds: 10,
    warmupSeconds: 5,
    keycloakWarmupSeconds: 120,
    commandSeconds: 10,
    commandConnections: 50,
    loadUsers: 3000,
    revocationSamples: 100,
    catchUpWindowSeconds: 5,
    catchUpMaxWindows: 80,
    replayTimeoutMs: 30 * 60_000,
    kafkaMongoReplayBudgetMs: 60_000,
  },
};

const machine = () => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryBytes: totalmem(),
  kernel: release(),
  node: process.version,
  loadAverageAtStart: loadavg(),
});

const attempt = async (what, fn) => {
  try {
    return await fn();
  } catch (error) {
    log(`${what} failed: ${error.stack}`);
    return { unavailable: `failed in this run: ${error.message.split('\n')[0]}` };
  }
};

/** Ratios of one sitting, repetition by repetition: each Keyhold target to the limit and to the peer, and p99 to the limit's. */
const ratios = (sitting, apiName, keycloakP99) => ({
  embeddedToLimit: w.ratio(sitting, 'keyhold-embedded', 'limit'),
  apiToLimit: w.ratio(sitting, apiName, 'limit'),
  embeddedToKeycloak: w.ratio(sitting, 'keyhold-embedded', 'keycloak'),
  apiToKeycloak: w.ratio(sitting, apiName, 'keycloak'),
  keycloakToLimit: w.ratio(sitting, 'keycloak', 'limit'),
  embeddedP99ToLimit: w.ratio(sitting, 'keyhold-embedded', 'limit', (run) => run.latencyMs.p99),
  apiP99ToLimit: w.ratio(sitting, apiName, 'limit', (run) => run.latencyMs.p99),
  ...(keycloakP99 ? { keycloakToEmbeddedP99: w.ratio(sitting, 'keycloak', 'keyhold-embedded', (run) => run.latencyMs.p99) } : {}),
});

/** How long each part of the run took, for the report (what to shorten when the run is too long). */
const phases = [];
const phase = async (name, fn) => {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    phases.push({ name, seconds: (Date.now() - started) / 1000 });
  }
};

const main = async () => {
  const config = { ...CONFIGS[MODE], ...(args.tokens ? { tokenCounts: args.tokens.split(',').map(Number) } : {}) };
  const startedAt = new Date();
  const scratch = procs.tempDir('run');
  // Logs outlive a failed run (the path is printed); a run that succeeds removes them.
  const logDir = mkdtempSync(join(tmpdir(), 'keyhold-bench-logs-'));
  failureLogs = logDir;
  const results = { mode: MODE, startedAt: startedAt.toISOString(), config, machine: machine(), workloads: {}, notes: [], phases };

  results.source = await phase('build', () => build({ ref: args.ref ?? null }));
  const ctx = { build: results.source, config, scratch, logDir, servers: null };

  // The limit: bare Fastify.
  const barePort = kh.port();
  const bare = procs.start(process.execPath, [join(__dirname, 'bare-fastify.js')], {
    env: { ...process.env, PORT: String(barePort) },
    logFile: join(logDir, 'bare.log'),
    name: 'bare fastify',
  });
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await waitUntil('bare fastify', async () => (await json(`${bareUrl}/health`)).status === 200, { alive: bare.alive });
  // What the load generators themselves reach, before anything else runs beside the bare server.
  results.loadGenerator = await phase('load generator ceiling', () =>
    w.generatorCeiling(
    ctx,
      w.introspectionPlan(ctx, bareUrl, 'Basic bGltaXQ6bGltaXQ=', Array.from({ length: 1000 }, (_, n) => `kh_limit_${n}`)),
    ),
  );

  // Kafka + the MongoDB stand-in.
  if (!args['no-servers']) {
    const servers = await phase('start Kafka and the MongoDB stand-in', () =>
      attempt('starting Kafka and the MongoDB stand-in', () => require('./lib/servers').start({ logDir })),
    );
    if (servers.unavailable) results.notes.push(`Kafka + Mongo configuration: ${servers.unavailable}`);
    else {
      ctx.servers = servers;
      ctx.pausable = [
        { name: 'kafka', pid: servers.kafkaPid, group: false },
        { name: 'mongo', pid: servers.mongoPid, group: true },
      ];
    }
  }
  const kmUnavailable = ctx.servers ? null : 'not run: Kafka and the MongoDB stand-in could not be started (see notes)';

  // The peer.
  let keycloak = { unavailable: 'not run (--no-peer)' };
  if (!args['no-peer']) {
    keycloak = await phase('start Keycloak', () => attempt('starting Keycloak', () => require('./lib/keycloak').start({ logDir, port: kh.port() })));
    if (!keycloak.unavailable) {
      ctx.pausable = [...(ctx.pausable ?? []), { name: 'keycloak', pid: keycloak.handle.pid, group: true }];
      results.peer = { name: 'Keycloak', version: keycloak.version, java: keycloak.java, startSeconds: keycloak.readyMs / 1000 };
      const half = Math.round(config.keycloakWarmupSeconds / 2);
      log(`warming Keycloak up for ${config.keycloakWarmupSeconds} s (its JIT keeps improving for 2-3 minutes)`);
      await phase('warm Keycloak up', async () => {
        await w.runLoad({ ...w.tokenPlan(ctx, keycloak.tokenUrl, keycloak.basic), durationSeconds: half }, scratch);
        await w.runLoad({ ...w.introspectionPlan(ctx, '', keycloak.basic, keycloak.tokens), url: keycloak.introspectUrl, durationSeconds: half }, scratch);
      });
    }
  }

  // Per size of token store, on one seeded data set: workloads 6 (replay, rebuild), 1 and 2
  // (introspection and client_credentials, side by side), 7 (memory, listening) and 8 (catch-up).
  for (const name of ['introspection', 'clientCredentials', 'replay', 'memory', 'catchUp']) results.workloads[name] = {};
  for (const tokens of config.tokenCounts) {
    const key = String(tokens);
    const dataset = await phase(`seed ${key} tokens`, () => w.prepareDataset(ctx, { tokens, label: `tokens-${tokens}` }));
    w.dropReadModels(dataset.dataDir);

    // Replay and rebuild rates are goals too: measured with Keycloak and the stand-in frozen, as
    // the sittings are; Kafka (idle here) stays up, as these last minutes at 1M events, longer
    // than a broker is known to come back from a freeze unharmed.
    const replayEmbedded = await phase(`replay ${key}`, () => w.alone(ctx, ['kafka'], () => w.replay(ctx, dataset, 'embedded', config.replayTimeoutMs)));
    const nodeE = replayEmbedded.node;
    results.workloads.replay[key] = { embedded: replayEmbedded.result };
    results.workloads.replay[key].seeding = dataset.seed;
    await kh.verifySample(nodeE.url, dataset.admin.token, dataset.secrets.sample, 100);
    // The operator's path: the rebuild command while the node serves (idle), into a fresh generation.
    results.workloads.replay[key].rebuild = await phase(`rebuild --all ${key}`, () =>
      attempt('rebuild embedded', async () => {
        const rebuilt = await w.alone(ctx, ['kafka'], () => kh.rebuild(ctx.build, dataset.options));
        log(`rebuild --all (embedded, node serving): ${rebuilt.events} events in ${rebuilt.seconds.toFixed(1)} s (${Math.round(rebuilt.eventsPerSecond)} events/s)`);
        return rebuilt;
      }),
    );
    await kh.verifySample(nodeE.url, dataset.admin.token, dataset.secrets.sample, 100);

    // The MongoDB stand-in projects a few hundred events a second: its replay is timed on the
    // smallest data set only, within a budget, for what it shows of the Mongo read models.
    if (!ctx.servers) results.workloads.replay[key]['kafka-mongo'] = { unavailable: kmUnavailable };
    else if (tokens !== config.tokenCounts[0]) results.workloads.replay[key]['kafka-mongo'] = { unavailable: 'not run: timed on the smallest data set only (the MongoDB stand-in is the bound)' };
    else {
      results.workloads.replay[key]['kafka-mongo'] = await phase(`replay kafka-mongo ${key}`, () =>
        attempt('replay kafka-mongo', async () => {
          const replayKm = await w.replay(ctx, dataset, 'kafka-mongo', config.kafkaMongoReplayBudgetMs);
          await kh.stopNode(replayKm.node);
          await dropDatabase(ctx.servers, replayKm.mongoDatabase);
          return replayKm.result;
        }),
      );
    }

    // An API-only node on the same log: what verification needs and nothing else (workload 7),
    // in the Kafka + Mongo configuration when it is there (its read models and bus only see
    // usage records), else embedded.
    const apiMode = ctx.servers ? 'kafka-mongo' : 'embedded';
    const apiName = `keyhold-api-${apiMode}`;
    const apiDatabase = `bench_api_${tokens}_${Date.now()}`;
    const nodeApi = await kh.startNode(ctx.build, {
      ...dataset.options,
      mode: apiMode,
      roles: 'api',
      mongoDatabase: apiDatabase,
      label: `api-${tokens}`,
      // No worker runs beside this node (its projections into the stand-in would take the CPU
      // being measured), so no relay heartbeat reaches it: the staleness bound is lifted, and the
      // node answers from memory as a fresh node does.
      extraEnv: { REVOCATION_STALENESS_MS: '3600000' },
      memoryProbe: join(scratch, `memory-api-${tokens}.ndjson`),
    });
    await kh.verifySample(nodeApi.url, dataset.admin.token, dataset.secrets.sample, 100);
    const memory = {
      activeTokens: tokens,
      apiOnly: { mode: apiMode, rssAtStartBytes: procs.groupRss(nodeApi.pid), listeningSeconds: (nodeApi.listeningAt - nodeApi.startedAt) / 1000 },
      singleProcess: { mode: 'embedded', rssAtStartBytes: procs.groupRss(nodeE.pid), listeningSeconds: replayEmbedded.result.listeningSeconds },
    };
    const apiLabel = `Keyhold API node (${apiMode === 'kafka-mongo' ? 'Kafka + Mongo configuration' : 'embedded'}, KEYHOLD_ROLES=api)`;
    const apiNeeds = apiMode === 'kafka-mongo' ? ['kafka', 'mongo'] : [];
    const keycloakTarget = (label, plan) =>
      keycloak.unavailable ? { name: 'keycloak', unavailable: keycloak.unavailable } : { name: 'keycloak', label, plan: plan(), needs: ['keycloak'] };

    // Workload 1.
    const bodies = dataset.secrets.sample.slice(0, 10_000).map((s) => s.secret);
    const adminBearer = `Bearer ${dataset.admin.token}`;
    const introspectionPlans = { embedded: w.introspectionPlan(ctx, nodeE.url, adminBearer, bodies), api: w.introspectionPlan(ctx, nodeApi.url, adminBearer, bodies) };
    const introspection = await phase(`introspection sitting ${key}`, () =>
      w.sitting(ctx, `introspection ${tokens}`, [
        { name: 'limit', label: 'bare Fastify (fixed JSON)', plan: w.introspectionPlan(ctx, bareUrl, adminBearer, bodies) },
        { name: 'keyhold-embedded', label: 'Keyhold, embedded default (one process)', plan: introspectionPlans.embedded },
        { name: apiName, label: apiLabel, plan: introspectionPlans.api, needs: apiNeeds },
        keycloakTarget(`Keycloak ${keycloak.version} (JWT introspection)`, () => ({ ...w.introspectionPlan(ctx, '', keycloak.basic, keycloak.tokens), url: keycloak.introspectUrl })),
      ]),
    );
    results.workloads.introspection[key] = { targets: introspection, ratios: ratios(introspection, apiName, true) };

    // Workload 2, on the same nodes: a service account created on the one-process node, which
    // the API node learns of from the shared log.
    const cc = await attempt('client_credentials provisioning', () => w.provisionClientCredentials(nodeE.url, dataset.admin.token));
    const apiRefusal = cc.unavailable ? cc.unavailable : await w.grantRefusal(nodeApi.url, cc.basic, 30_000);
    const ccPlans = cc.unavailable ? null : { embedded: w.tokenPlan(ctx, `${nodeE.url}/oauth/token`, cc.basic), api: w.tokenPlan(ctx, `${nodeApi.url}/oauth/token`, cc.basic) };
    const clientCredentials = await phase(`client_credentials sitting ${key}`, () =>
      w.sitting(ctx, `client_credentials ${tokens}`, [
        { name: 'limit', label: 'bare Fastify (fixed JSON)', plan: w.tokenPlan(ctx, `${bareUrl}/oauth/token`, 'Basic bGltaXQ6bGltaXQ=') },
        cc.unavailable ? { name: 'keyhold-embedded', unavailable: cc.unavailable } : { name: 'keyhold-embedded', label: 'Keyhold, embedded default (one process)', plan: ccPlans.embedded },
        apiRefusal ? { name: apiName, unavailable: apiRefusal } : { name: apiName, label: apiLabel, plan: ccPlans.api, needs: apiNeeds },
        keycloakTarget(`Keycloak ${keycloak.version}`, () => w.tokenPlan(ctx, keycloak.tokenUrl, keycloak.basic)),
      ]),
    );
    results.workloads.clientCredentials[key] = { targets: clientCredentials, ratios: ratios(clientCredentials, apiName, false) };

    // Workload 7: what the API node holds after that load, and after a full GC.
    memory.apiOnly.rssAfterLoadBytes = procs.groupRss(nodeApi.pid);
    const collected = await kh.memoryAfterFullGc(nodeApi);
    if (collected) {
      memory.apiOnly.heapUsedAfterLoadBytes = collected.before.heapUsed;
      memory.apiOnly.heapUsedAfterFullGcBytes = collected.after.heapUsed;
      memory.apiOnly.rssAfterFullGcBytes = collected.rssAfterBytes;
    }
    memory.singleProcess.rssAfterLoadBytes = procs.groupRss(nodeE.pid);
    results.workloads.memory[key] = memory;
    await kh.stopNode(nodeApi);
    if (apiMode === 'kafka-mongo') await dropDatabase(ctx.servers, apiDatabase);

    // Workload 8: the one-process node loaded while its read models catch up, against its steady state above.
    const plans = { introspection: introspectionPlans.embedded, ...(ccPlans ? { clientCredentials: ccPlans.embedded } : {}) };
    const steady = { introspection: introspection['keyhold-embedded'], ...(ccPlans ? { clientCredentials: clientCredentials['keyhold-embedded'] } : {}) };
    results.workloads.catchUp[key] = {
      rebuild: await phase(`catch-up: rebuild under load ${key}`, () => attempt('catch-up during rebuild', () => catchUp.duringRebuild(ctx, dataset, plans, steady))),
      restart: await phase(`catch-up: restart under load ${key}`, () => attempt('catch-up after a restart', () => catchUp.afterRestart(ctx, dataset, nodeE, plans, steady, dataset.admin.token))),
      restored: await phase(`catch-up: restored log under load ${key}`, () =>
        attempt('catch-up of a restored log', () => catchUp.afterRestoredLog(ctx, dataset, nodeE, plans, steady, dataset.admin.token)),
      ),
    };
    await kh.stopNode(nodeE);
    procs.removeTempDir(dataset.dir);
  }

  // The peer is done: stop it before the command workloads, which need the CPU.
  if (keycloak.handle) {
    results.peer.rssBytes = procs.groupRss(keycloak.handle.pid);
    ctx.pausable = ctx.pausable.filter((server) => server.name !== 'keycloak');
    await procs.stop(keycloak.handle, 30_000);
  }

  // Workloads 3 and 4 change their data: each configuration runs on its own copy of one small
  // seed (members with one token each, who issue more), small enough for the MongoDB stand-in.
  // Workload 5 needs no seed (a bootstrap only), and its relay must be heard at once.
  ctx.smallSeed = await phase('seed the members for commands', () => w.prepareDataset(ctx, { tokens: 0, loadUsers: config.loadUsers + 50, label: 'members' }));
  results.workloads.commands = {};
  results.workloads.commands.embedded = await phase('commands embedded', () => attempt('commands embedded', () => w.commands(ctx, 'embedded')));
  results.workloads.commands['kafka-mongo'] = ctx.servers
    ? await phase('commands kafka-mongo', () => attempt('commands kafka-mongo', () => w.commands(ctx, 'kafka-mongo')))
    : { unavailable: kmUnavailable };

  results.workloads.revocation = await phase('revocation propagation', async () => ({
    embedded: await attempt('revocation', () => revocation.revocationEmbedded(ctx)),
    'kafka-mongo': ctx.servers ? await attempt('revocation kafka-mongo', () => revocation.revocationOverKafka(ctx)) : { unavailable: kmUnavailable },
  }));
  procs.removeTempDir(ctx.smallSeed.dir);

  results.finishedAt = new Date().toISOString();
  results.machine.loadAverageAtEnd = loadavg();
  results.durationMinutes = (Date.now() - startedAt.getTime()) / 60_000;
  results.goals = goals(results);

  const out = resolve(args.out);
  mkdirSync(out, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = join(out, `${MODE}-${stamp}`);
  const jsonText = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(`${base}.json`, jsonText);
  const { renderChart } = require('./lib/chart');
  await renderChart(results, `${base}.png`);
  const { renderReport } = require('./lib/report');
  writeFileSync(`${base}.md`, renderReport(results, `${MODE}-${stamp}.png`));
  for (const ext of ['json', 'png']) copyFileSync(`${base}.${ext}`, join(out, `latest-${MODE}.${ext}`));
  writeFileSync(join(out, `latest-${MODE}.md`), renderReport(results, `latest-${MODE}.png`));
  log(`done in ${results.durationMinutes.toFixed(1)} min: ${base}.{json,md,png}`);
  procs.onCleanup(() => rmSync(logDir, { recursive: true, force: true }));
};

let failureLogs = null;

main()
  .then(() => procs.cleanupAll())
  .then(() => process.exit(0))
  .catch(async (error) => {
    log(`bench failed: ${error.stack}`);
    if (failureLogs) log(`logs of the processes it started are kept in ${failureLogs}`);
    await procs.cleanupAll();
    process.exit(1);
  });
