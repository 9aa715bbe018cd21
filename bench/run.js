'use strict';
/**
 * Keyhold's benchmark, side by side with the machine's limit (a bare Fastify server) and a peer
 * (Keycloak), in one run. See the "Performance" section of the README.
 *
 *   npm run bench               # quick mode: 100k tokens, short runs, 3 repetitions (a few minutes)
 *   npm run bench:full          # every workload at 100k and 1M tokens, 5 repetitions (about an hour)
 *   node bench/run.js [--quick|--full] [--ref <git ref>] [--out <dir>] [--no-peer] [--no-servers]
 *
 * Writes bench/results/<mode>-<timestamp>.{json,md,png} and latest-<mode>.{json,md,png}.
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
const { build } = require('./lib/build');
const { log, json, waitUntil, summary } = require('./lib/util');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    ref: { type: 'string' },
    out: { type: 'string', default: join(__dirname, 'results') },
    'no-peer': { type: 'boolean', default: false },
    'no-servers': { type: 'boolean', default: false },
  },
});
const MODE = args.full ? 'full' : 'quick';

const CONFIGS = {
  quick: {
    tokenCounts: [100_000],
    reps: 3,
    connections: 10,
    durationSeconds: 5,
    warmupSeconds: 3,
    keycloakWarmupSeconds: 40,
    commandSeconds: 5,
    loadUsers: 1000,
    revocationSamples: 40,
    replayTimeoutMs: 20 * 60_000,
    kafkaMongoReplayBudgetMs: 90_000,
  },
  full: {
    tokenCounts: [100_000, 1_000_000],
    reps: 5,
    connections: 10,
    durationSeconds: 15,
    warmupSeconds: 10,
    keycloakWarmupSeconds: 150,
    commandSeconds: 15,
    loadUsers: 3000,
    revocationSamples: 200,
    replayTimeoutMs: 60 * 60_000,
    kafkaMongoReplayBudgetMs: 4 * 60_000,
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

const main = async () => {
  const config = CONFIGS[MODE];
  const startedAt = new Date();
  const scratch = procs.tempDir('run');
  // Logs outlive a failed run (the path is printed); a run that succeeds removes them.
  const logDir = mkdtempSync(join(tmpdir(), 'keyhold-bench-logs-'));
  failureLogs = logDir;
  const results = { mode: MODE, startedAt: startedAt.toISOString(), config, machine: machine(), workloads: {}, notes: [] };

  results.source = await build({ ref: args.ref ?? null });
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
  results.loadGenerator = await w.generatorCeiling(
    ctx,
    w.introspectionPlan(ctx, bareUrl, 'Basic bGltaXQ6bGltaXQ=', Array.from({ length: 1000 }, (_, n) => `kh_limit_${n}`)),
  );

  // Kafka + the MongoDB stand-in.
  if (!args['no-servers']) {
    const servers = await attempt('starting Kafka and the MongoDB stand-in', () => require('./lib/servers').start({ logDir }));
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
    keycloak = await attempt('starting Keycloak', () => require('./lib/keycloak').start({ logDir, port: kh.port() }));
    if (!keycloak.unavailable) {
      ctx.pausable = [...(ctx.pausable ?? []), { name: 'keycloak', pid: keycloak.handle.pid, group: true }];
      results.peer = { name: 'Keycloak', version: keycloak.version, java: keycloak.java, startSeconds: keycloak.readyMs / 1000 };
      const half = Math.round(config.keycloakWarmupSeconds / 2);
      log(`warming Keycloak up for ${config.keycloakWarmupSeconds} s (its JIT keeps improving for 2-3 minutes)`);
      await w.runLoad({ ...w.tokenPlan(ctx, keycloak.tokenUrl, keycloak.basic), durationSeconds: half }, scratch);
      await w.runLoad({ ...w.introspectionPlan(ctx, '', keycloak.basic, keycloak.tokens), url: keycloak.introspectUrl, durationSeconds: half }, scratch);
    }
  }

  // Workloads 1, 6 and 7 for each size of token store.
  results.workloads.introspection = {};
  results.workloads.replay = {};
  results.workloads.memory = {};
  for (const tokens of config.tokenCounts) {
    const key = String(tokens);
    const dataset = await w.prepareDataset(ctx, { tokens, label: `tokens-${tokens}` });
    w.dropReadModels(dataset.dataDir);

    const replayEmbedded = await w.replay(ctx, dataset, 'embedded', config.replayTimeoutMs);
    const nodeE = replayEmbedded.node;
    results.workloads.replay[key] = { embedded: replayEmbedded.result };
    results.workloads.replay[key].seeding = dataset.seed;
    await kh.verifySample(nodeE.url, dataset.admin.token, dataset.secrets.sample, 100);
    // The operator's path: the rebuild command while the node serves, into a fresh generation.
    results.workloads.replay[key].rebuild = await attempt('rebuild embedded', async () => {
      const rebuilt = await kh.rebuild(ctx.build, dataset.options);
      log(`rebuild --all (embedded, node serving): ${rebuilt.events} events in ${rebuilt.seconds.toFixed(1)} s (${Math.round(rebuilt.eventsPerSecond)} events/s)`);
      return rebuilt;
    });
    await kh.verifySample(nodeE.url, dataset.admin.token, dataset.secrets.sample, 100);

    const smaller = results.workloads.replay['100000']?.['kafka-mongo'];
    if (ctx.servers && tokens > 100_000 && smaller && !smaller.complete) {
      results.workloads.replay[key]['kafka-mongo'] = {
        unavailable: `not run: the replay of 100k events did not finish within its budget in this configuration (≈ ${Math.round(smaller.eventsPerSecond)} events/s)`,
      };
    } else if (ctx.servers) {
      results.workloads.replay[key]['kafka-mongo'] = await attempt('replay kafka-mongo', async () => {
        const replayKm = await w.replay(ctx, dataset, 'kafka-mongo', config.kafkaMongoReplayBudgetMs);
        await kh.stopNode(replayKm.node);
        return replayKm.result;
      });
    } else {
      results.workloads.replay[key]['kafka-mongo'] = { unavailable: kmUnavailable };
    }

    // An API-only node on the same log: what verification needs and nothing else (workload 7),
    // in the Kafka + Mongo configuration when it is there (its read models and bus only see
    // usage records), else embedded.
    const apiMode = ctx.servers ? 'kafka-mongo' : 'embedded';
    const nodeApi = await kh.startNode(ctx.build, {
      ...dataset.options,
      mode: apiMode,
      roles: 'api',
      mongoDatabase: `bench_api_${tokens}_${Date.now()}`,
      label: `api-${tokens}`,
      // No worker runs beside this node (its projections into the stand-in would take the CPU
      // being measured), so no relay heartbeat reaches it: the staleness bound is lifted, and the
      // node answers from memory as a fresh node does.
      extraEnv: { REVOCATION_STALENESS_MS: '3600000' },
      memoryProbe: join(scratch, `memory-api-${tokens}.ndjson`),
    });
    const apiLoadSeconds = (nodeApi.listeningAt - nodeApi.startedAt) / 1000;
    await kh.verifySample(nodeApi.url, dataset.admin.token, dataset.secrets.sample, 100);
    const memory = {
      apiOnly: { mode: apiMode, rssAtStartBytes: procs.groupRss(nodeApi.pid), indexLoadSeconds: apiLoadSeconds },
      singleProcess: { mode: 'embedded', rssAtStartBytes: procs.groupRss(nodeE.pid) },
    };

    const bodies = dataset.secrets.sample.slice(0, 10_000).map((s) => s.secret);
    const adminBearer = `Bearer ${dataset.admin.token}`;
    const targets = [
      { name: 'limit', label: 'bare Fastify (fixed JSON)', plan: { ...w.introspectionPlan(ctx, bareUrl, adminBearer, bodies), check: 'active' } },
      { name: 'keyhold-embedded', label: 'Keyhold, embedded default (one process)', plan: w.introspectionPlan(ctx, nodeE.url, adminBearer, bodies) },
      {
        name: `keyhold-api-${apiMode}`,
        label: `Keyhold API node (${apiMode === 'kafka-mongo' ? 'Kafka + Mongo configuration' : 'embedded'}, KEYHOLD_ROLES=api)`,
        plan: w.introspectionPlan(ctx, nodeApi.url, adminBearer, bodies),
        needs: apiMode === 'kafka-mongo' ? ['kafka', 'mongo'] : [],
      },
      keycloak.unavailable
        ? { name: 'keycloak', unavailable: keycloak.unavailable }
        : { name: 'keycloak', label: `Keycloak ${keycloak.version} (JWT introspection)`, plan: { ...w.introspectionPlan(ctx, '', keycloak.basic, keycloak.tokens), url: keycloak.introspectUrl }, needs: ['keycloak'] },
    ];
    const sittingResults = await w.sitting(ctx, `introspection ${tokens}`, targets);
    if (apiMode !== 'kafka-mongo') sittingResults['keyhold-api-kafka-mongo'] = { unavailable: kmUnavailable };
    results.workloads.introspection[key] = {
      targets: sittingResults,
      ratios: {
        embeddedToLimit: w.ratio(sittingResults, 'keyhold-embedded', 'limit'),
        apiToLimit: w.ratio(sittingResults, `keyhold-api-${apiMode}`, 'limit'),
        embeddedToKeycloak: w.ratio(sittingResults, 'keyhold-embedded', 'keycloak'),
        apiToKeycloak: w.ratio(sittingResults, `keyhold-api-${apiMode}`, 'keycloak'),
        keycloakToEmbeddedP99: w.ratio(sittingResults, 'keycloak', 'keyhold-embedded', (run) => run.latencyMs.p99),
      },
    };
    memory.apiOnly.rssAfterLoadBytes = procs.groupRss(nodeApi.pid);
    // What of that the node holds, and what is garbage V8 had not yet needed to collect.
    const collected = await kh.memoryAfterFullGc(nodeApi);
    if (collected) {
      memory.apiOnly.heapUsedAfterLoadBytes = collected.before.heapUsed;
      memory.apiOnly.heapUsedAfterFullGcBytes = collected.after.heapUsed;
      memory.apiOnly.rssAfterFullGcBytes = collected.rssAfterBytes;
    }
    memory.singleProcess.rssAfterLoadBytes = procs.groupRss(nodeE.pid);
    memory.activeTokens = tokens;
    results.workloads.memory[key] = memory;
    await kh.stopNode(nodeApi);
    await kh.stopNode(nodeE);
    procs.removeTempDir(dataset.dir);
  }

  // Workload 2: client_credentials issuance (each grant is a durable append in Keyhold).
  {
    const nodes = [];
    const targets = [{ name: 'limit', label: 'bare Fastify (fixed JSON)', plan: w.tokenPlan(ctx, `${bareUrl}/oauth/token`, 'Basic bGltaXQ6bGltaXQ=') }];
    for (const mode of ['embedded', 'kafka-mongo']) {
      const name = `keyhold-${mode}`;
      if (mode === 'kafka-mongo' && !ctx.servers) {
        targets.push({ name, unavailable: kmUnavailable });
        continue;
      }
      const dataset = await w.prepareDataset(ctx, { tokens: 0, mode, label: `client-credentials-${mode}` });
      const node = await kh.startNode(ctx.build, { ...dataset.options, label: `client-credentials-${mode}` });
      nodes.push({ node, dataset });
      const cc = await attempt('client_credentials provisioning', () => w.provisionClientCredentials(node.url, dataset.admin.token));
      targets.push(
        cc.unavailable
          ? { name, unavailable: cc.unavailable }
          : {
              name,
              label: `Keyhold, ${mode === 'embedded' ? 'embedded default' : 'Kafka + Mongo configuration'} (one process)`,
              plan: w.tokenPlan(ctx, `${node.url}/oauth/token`, cc.basic),
              needs: mode === 'kafka-mongo' ? ['kafka', 'mongo'] : [],
            },
      );
    }
    targets.push(
      keycloak.unavailable
        ? { name: 'keycloak', unavailable: keycloak.unavailable }
        : { name: 'keycloak', label: `Keycloak ${keycloak.version}`, plan: w.tokenPlan(ctx, keycloak.tokenUrl, keycloak.basic), needs: ['keycloak'] },
    );
    const sittingResults = await w.sitting(ctx, 'client_credentials', targets);
    results.workloads.clientCredentials = {
      targets: sittingResults,
      ratios: {
        embeddedToKeycloak: w.ratio(sittingResults, 'keyhold-embedded', 'keycloak'),
        kafkaMongoToKeycloak: w.ratio(sittingResults, 'keyhold-kafka-mongo', 'keycloak'),
        embeddedToLimit: w.ratio(sittingResults, 'keyhold-embedded', 'limit'),
        keycloakToLimit: w.ratio(sittingResults, 'keycloak', 'limit'),
      },
    };
    for (const { node, dataset } of nodes) {
      await kh.stopNode(node);
      procs.removeTempDir(dataset.dir);
    }
  }

  // The peer is done: stop it before the command workloads, which need the CPU.
  if (keycloak.handle) {
    results.peer.rssBytes = procs.groupRss(keycloak.handle.pid);
    ctx.pausable = ctx.pausable.filter((server) => server.name !== 'keycloak');
    await procs.stop(keycloak.handle, 30_000);
  }

  // Workloads 3 and 4.
  results.workloads.commands = {};
  results.workloads.commands.embedded = await attempt('commands embedded', () => w.commands(ctx, 'embedded'));
  results.workloads.commands['kafka-mongo'] = ctx.servers
    ? await attempt('commands kafka-mongo', () => w.commands(ctx, 'kafka-mongo'))
    : { unavailable: kmUnavailable };

  // Workload 5.
  results.workloads.revocation = {
    embedded: await attempt('revocation', () => revocation.revocationEmbedded(ctx)),
    'kafka-mongo': ctx.servers
      ? await attempt('revocation kafka-mongo', () => revocation.revocationOverKafka(ctx))
      : { unavailable: kmUnavailable },
  };

  results.finishedAt = new Date().toISOString();
  results.machine.loadAverageAtEnd = loadavg();
  results.durationMinutes = (Date.now() - startedAt.getTime()) / 60_000;

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
