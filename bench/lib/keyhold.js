'use strict';
/** Starting Keyhold nodes from the bench's build, in either configuration, and asking them things. */
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const procs = require('./procs');
const { json, waitUntil, log, form } = require('./util');

const MEMORY_PROBE = join(__dirname, 'memory-probe.js');

let nextPort = 3400;
const port = () => nextPort++;

/**
 * The environment of one configuration. `embedded`: the default (SQLite log and read models,
 * in-process bus). `kafka-mongo`: the same SQLite log with read models in the MongoDB
 * wire-protocol stand-in and the bus on Kafka (no EventStoreDB server can be had here).
 */
const envFor = ({ mode, dataDir, servers, mongoDatabase, roles, port: p, extraEnv }) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: String(p ?? 0),
  // Required in production where the api role runs; the address the node answers on (the CLI has none).
  PUBLIC_URL: p ? `http://127.0.0.1:${p}` : 'http://127.0.0.1',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  ...(roles ? { KEYHOLD_ROLES: roles } : {}),
  ...(mode === 'kafka-mongo'
    ? {
        READ_MODELS: 'mongo',
        MONGO_URL: servers.mongoUrl,
        MONGO_DATABASE: mongoDatabase,
        MESSAGE_BUS: 'kafka',
        KAFKA_BROKERS: servers.kafkaBrokers,
      }
    : {}),
  ...extraEnv,
});

/** `npm run cli -- bootstrap` against a data dir: the tenant, its first admin and the admin's token. */
const bootstrap = async (build, options, tenant = 'bench') => {
  const handle = await procs.run(process.execPath, [build.cli, 'bootstrap', '--tenant', tenant, '--admin', `admin@${tenant}.test`], {
    env: envFor(options),
    name: 'keyhold cli bootstrap',
  });
  const last = handle.stdout.trim().split('\n').pop();
  return JSON.parse(last);
};

/**
 * `npm run cli -- rebuild --all` against a data dir, while its node runs: every read model
 * replayed into a fresh generation and switched over. Answers the command's JSON line.
 */
const rebuild = async (build, options) => {
  const handle = await procs.run(process.execPath, [build.cli, 'rebuild', '--all'], { env: envFor(options), name: 'keyhold cli rebuild' });
  return JSON.parse(handle.stdout.trim().split('\n').pop());
};

/**
 * Starts a node and waits until it listens (for an API node: its credential index has loaded,
 * the service only listens after that). `startedAt`/`listeningAt` are wall-clock ms.
 */
const startNode = async (build, options) => {
  const p = options.port ?? port();
  const env = envFor({ ...options, port: p });
  const startedAt = Date.now();
  const handle = procs.start(process.execPath, [...(options.memoryProbe ? ['-r', MEMORY_PROBE] : []), build.main], {
    env: options.memoryProbe ? { ...env, BENCH_MEMORY_PROBE_FILE: options.memoryProbe } : env,
    logFile: join(options.logDir, `keyhold-${options.label ?? p}.log`),
    name: `keyhold ${options.label ?? p}`,
  });
  const url = `http://127.0.0.1:${p}`;
  const node = { handle, url, port: p, pid: handle.pid, startedAt, listeningAt: null, options };
  if (options.roles === 'worker') return node;
  await waitUntil(
    `keyhold ${options.label ?? p} listening`,
    async () => (await json(`${url}/health`, {}, 2000)).status === 200,
    { timeoutMs: options.timeoutMs ?? 15 * 60_000, intervalMs: 100, alive: handle.alive },
  );
  node.listeningAt = Date.now();
  return node;
};

/** /health/ready of a node: ready and no projection behind the head of the log (the detail needs an admin's token). */
const caughtUp = async (url, adminToken) => {
  const { status, body } = await json(`${url}/health/ready`, { headers: { authorization: `Bearer ${adminToken}` } }, 5000);
  return status === 200 && body.projections.every((projection) => !projection.behind) ? body : null;
};

const waitCaughtUp = (node, adminToken, timeoutMs = 60 * 60_000) =>
  waitUntil(`keyhold ${node.port} projections caught up`, () => caughtUp(node.url, adminToken), {
    timeoutMs,
    intervalMs: 250,
    alive: node.handle.alive,
  });

const stopNode = (node) => procs.stop(node?.handle, 30_000);

/**
 * A node started with `memoryProbe` (a file path): its memory before and after two full garbage
 * collections (`memory-probe.js`), in bytes. Answers null if the probe did not answer in time.
 */
const memoryAfterFullGc = async (node) => {
  const file = node.options.memoryProbe;
  const lines = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
  const before = lines().length;
  process.kill(node.pid, 'SIGWINCH');
  const deadline = Date.now() + 30_000;
  while (lines().length === before) {
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const probe = JSON.parse(lines().pop());
  return { ...probe, rssAfterBytes: procs.groupRss(node.pid) };
};

const introspect = (url, callerToken, token) =>
  json(`${url}/oauth/introspect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${callerToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ token }),
  });

/** Checks a sample of seeded secrets against a node: every one must come back active. */
const verifySample = async (url, adminToken, secrets, count = 50) => {
  const sample = secrets.slice(0, count);
  let active = 0;
  for (const { secret } of sample) if ((await introspect(url, adminToken, secret)).body?.active === true) active += 1;
  const bogus = await introspect(url, adminToken, `${secrets[0].secret.slice(0, -8)}AAAAAAAA`);
  if (active !== sample.length || bogus.body?.active !== false) {
    throw new Error(`seeded tokens do not verify: ${active}/${sample.length} active, a tampered one answered ${JSON.stringify(bogus.body)}`);
  }
  log(`verified ${active}/${sample.length} seeded tokens active on ${url}, a tampered one inactive`);
  return { checked: sample.length, active };
};

module.exports = { bootstrap, rebuild, startNode, stopNode, memoryAfterFullGc, waitCaughtUp, caughtUp, introspect, verifySample, envFor, port };
