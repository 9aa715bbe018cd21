'use strict';
/**
 * Kafka and the MongoDB wire-protocol stand-in for the "Kafka + Mongo" configuration, through
 * the project's scripts/test-servers.sh but on ports and a run directory of the bench's own, so
 * that the test servers other people are using are never touched. The stand-in keeps every
 * document in its JVM heap, and the script gives it 256 MB (enough for tests, not for a million
 * tokens): the bench starts it once through the script, so that the jars are fetched and the
 * launcher compiled as the script does, then relaunches that same command line with a larger heap.
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
  const mongo = procs.start(argv[0], heapArgs, { logFile: join(logDir, 'mongo.log'), name: 'mongo stand-in' });
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
  log(`Kafka on 127.0.0.1:${env.KAFKA_PORT}, MongoDB stand-in (heap ${mongoHeap}) on 127.0.0.1:${env.MONGO_PORT}`);
  return {
    kafkaBrokers: `127.0.0.1:${env.KAFKA_PORT}`,
    mongoUrl: `mongodb://127.0.0.1:${env.MONGO_PORT}`,
    mongoPid: mongo.pid,
    kafkaPid: Number(readFileSync(join(runDir, 'kafka.pid'), 'utf8').trim()),
  };
};

/**
 * Drops a finished workload's database from the stand-in. It keeps everything in its JVM heap, so
 * every database left behind (the 100k replay's read models above all) made the later workloads
 * pay for its garbage collections: pauses of 0.6-3 s with about 1 GB retained, which the
 * projection lag of workload 4 counted as Keyhold's.
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

module.exports = { start, dropDatabase };
