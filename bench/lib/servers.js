'use strict';
/**
 * Kafka and the MongoDB wire-protocol stand-in for the "Kafka + Mongo" configuration, through
 * the project's scripts/test-servers.sh but on ports and a run directory of the bench's own, so
 * that the test servers other people are using are never touched. The stand-in keeps every
 * document in its JVM heap, and the script gives it 256 MB (enough for tests, not for a million
 * tokens): the bench starts it once through the script, so that the jars are fetched and the
 * launcher compiled as the script does, then relaunches that same command line with a larger
 * heap and its collector's pauses logged, so that the report can tell them from Keyhold's lag
 * (`gcPauses`). Its collector stays the script's serial one: a concurrent one (Shenandoah, on
 * the script's JDK 17) showed no pause in the lag windows of workload 4, but cost the stand-in
 * 1.5-2.5 times the CPU per token against the API node's (3 runs against 4, at load 14-21),
 * CPU that the two cores' Keyhold processes need; no gain in the lag stood out from the noise.
 */
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const procs = require('./procs');
const { log, sleep } = require('./util');
const { ROOT } = require('./build');

const SCRIPT = join(ROOT, 'scripts', 'test-servers.sh');

const start = async ({ logDir, mongoHeap = '4g' }) => {
  const runDir = procs.tempDir('servers');
  const env = {
    ...process.env,
    KEYHOLD_TEST_SERVERS_DIR: runDir,
    KAFKA_PORT: process.env.BENCH_KAFKA_PORT ?? '19192',
    KAFKA_CONTROLLER_PORT: process.env.BENCH_KAFKA_CONTROLLER_PORT ?? '19193',
    MONGO_PORT: process.env.BENCH_MONGO_PORT ?? '27127',
  };
  const script = (...args) => procs.run('bash', [SCRIPT, ...args], { env, name: `test-servers.sh ${args.join(' ')}` });
  procs.onCleanup(async () => {
    await script('clean').catch(() => undefined);
    rmSync(`${runDir}.start-stop.lock`, { force: true }); // the script's lock file, beside its run dir
  });
  await script('start', 'kafka');
  await script('start', 'mongo');

  // Relaunch the stand-in with a heap that holds the data set.
  const pid = Number(readFileSync(join(runDir, 'mongo.pid'), 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  await script('stop', 'mongo');
  await sleep(300);
  const heapArgs = argv.slice(1).map((arg) => (arg.startsWith('-Xmx') ? `-Xmx${mongoHeap}` : arg));
  const jvm = heapArgs.filter((arg) => arg.startsWith('-X')).join(' ');
  const gcLog = join(logDir, 'mongo-gc.log');
  // Pauses logged with the wall clock in ms (`timemillis`), to be matched with a workload's window.
  const mongo = procs.start(argv[0], [`-Xlog:gc:file=${gcLog}:timemillis`, ...heapArgs], { logFile: join(logDir, 'mongo.log'), name: 'mongo stand-in' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!mongo.alive()) throw new Error('the MongoDB stand-in exited at start (see mongo.log)');
    let output = '';
    try {
      output = readFileSync(join(logDir, 'mongo.log'), 'utf8');
    } catch {
      /* not created yet */
    }
    if (output.includes('keyhold-mongo ready')) break;
    if (Date.now() > deadline) throw new Error('the MongoDB stand-in did not start within 30 s');
    await sleep(100);
  }
  log(`Kafka on 127.0.0.1:${env.KAFKA_PORT}, MongoDB stand-in (${jvm}) on 127.0.0.1:${env.MONGO_PORT}`);
  return {
    kafkaBrokers: `127.0.0.1:${env.KAFKA_PORT}`,
    mongoUrl: `mongodb://127.0.0.1:${env.MONGO_PORT}`,
    mongoPid: mongo.pid,
    mongoJvm: jvm,
    mongoGcLog: gcLog,
    kafkaPid: Number(readFileSync(join(runDir, 'kafka.pid'), 'utf8').trim()),
  };
};

/**
 * Drops a finished workload's database from the stand-in. It keeps everything in its JVM heap, so
 * every database left behind (the 100k replay's read models above all) made the later workloads
 * pay for its garbage collections: pauses of 0.6-3 s with about 1 GB retained, which the
 * projection lag of workload 4 counted as Keyhold's. (Until its oplog was turned off, a dropped
 * database's writes stayed in the heap anyway: see scripts/test-servers/MongoServerMain.java.)
 */
const dropDatabase = async (servers, database) => {
  const { MongoClient } = require('mongodb');
  const client = await MongoClient.connect(servers.mongoUrl, { maxPoolSize: 1 });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
};

/** A pause in the stand-in's `-Xlog:gc` with `timemillis`: `[1796004444206ms] GC(3) Pause Young (Allocation Failure) 100M->11M(365M) 244.737ms`. */
const PAUSE = /^\[(\d+)ms\].*\bPause\b.*?(\d+(?:\.\d+)?)ms$/;

/**
 * The stand-in's collector pauses that ended between `fromMs` and `toMs` (wall clock): how many,
 * their total and the longest, in ms. A workload's lag that overlaps them waited for the
 * stand-in, which a real MongoDB (no collector) would not make it do. Null without a log.
 */
const gcPauses = (servers, fromMs, toMs) => {
  let text;
  try {
    text = readFileSync(servers.mongoGcLog, 'utf8');
  } catch {
    return null;
  }
  const pauses = [];
  for (const line of text.split('\n')) {
    const match = PAUSE.exec(line);
    if (match && Number(match[1]) >= fromMs && Number(match[1]) <= toMs) pauses.push(Number(match[2]));
  }
  return { count: pauses.length, totalMs: pauses.reduce((sum, ms) => sum + ms, 0), maxMs: Math.max(0, ...pauses), windowMs: toMs - fromMs };
};

module.exports = { start, dropDatabase, gcPauses };
