'use strict';
/**
 * Catching up never starves serving (issue 18): introspection and client_credentials load on a
 * one-process node while its read models catch up, in short windows alternating the two plans,
 * each compared with the same node's steady state (its figures in the sittings just before, same
 * plans, same data). Three causes of catch-up, all on the seeded data set:
 * - `rebuild --all` run while the node serves (every read model replayed into a fresh generation);
 * - a restart with the read models dropped (what a new node on an existing log goes through):
 *   windows start as soon as the node listens;
 * - a restored log: a restart with the read models at the head but no
 *   `background-checkpoints.sqlite`, so that the lifecycle relay republishes the whole log and
 *   the key shredder reads it again, on the serving thread (a backup restored into a fresh data
 *   dir, a lost file).
 * Windows run while the catch-up lasts, at most `catchUpMaxWindows`; a catch-up still running
 * then is stopped (its unloaded rate is workload 6's figure, not this one's). A window that ends
 * with errors, timeouts or wrong answers counts as no throughput, as in the sittings; a window in
 * which no answer came at all gets its own length as p99 (a lower bound: every request outlived it).
 */
const kh = require('./keyhold');
const procs = require('./procs');
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { alone, dropReadModels, runLoad } = require('./workloads');
const { CATCH_UP_CAUSES: CAUSES } = require('./goals');
const { log, sleep } = require('./util');

const valid = (run) => run.errors === 0 && run.non2xx === 0 && run.checked.bad === 0;

/** Alternating windows of `plans` while `catchingUp()` holds; each remembers whether the catch-up outlived it. */
const windowsWhile = async (ctx, plans, catchingUp, what) => {
  const kinds = Object.keys(plans);
  const windows = [];
  for (let n = 0; n < ctx.config.catchUpMaxWindows && catchingUp(); n += 1) {
    const kind = kinds[n % kinds.length];
    const result = await alone(ctx, [], () => runLoad({ ...plans[kind], durationSeconds: ctx.config.catchUpWindowSeconds }, ctx.scratch));
    const window = {
      kind,
      requestsPerSecond: valid(result) ? result.requestsPerSecond : 0,
      p99Ms: result.totalRequests > 0 ? result.latencyMs.p99 : ctx.config.catchUpWindowSeconds * 1000,
      catchUpOutlivedIt: catchingUp(),
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      example: result.checked.example,
    };
    windows.push(window);
    log(`${what} window ${n + 1} (${kind}): ${Math.round(window.requestsPerSecond)} req/s, p99 ${window.p99Ms?.toFixed(1)} ms, non2xx ${result.non2xx}, errors ${result.errors}${window.catchUpOutlivedIt ? '' : ' (catch-up over before the window ended)'}`);
  }
  return windows;
};

/**
 * Per plan: the worst window against steady state (throughput ratio and p99 ratio) and the
 * median window; `steady` holds each plan's sitting summary of the same node.
 */
const compare = (windows, steady) =>
  Object.fromEntries(
    Object.entries(steady).map(([kind, s]) => {
      const mine = windows.filter((w) => w.kind === kind);
      const steadyRps = s?.requestsPerSecond?.median;
      const steadyP99 = s?.latencyMs?.p99?.median;
      if (mine.length === 0 || !steadyRps || !steadyP99) return [kind, { windows: mine.length, steadyRps: steadyRps ?? null, steadyP99Ms: steadyP99 ?? null }];
      const rps = mine.map((w) => w.requestsPerSecond);
      const p99 = mine.map((w) => (typeof w.p99Ms === 'number' ? w.p99Ms : Infinity));
      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
      return [
        kind,
        {
          windows: mine.length,
          steadyRps,
          steadyP99Ms: steadyP99,
          worstRps: Math.min(...rps),
          medianRps: median(rps),
          worstP99Ms: Math.max(...p99),
          medianP99Ms: median(p99),
          throughputRatio: Math.min(...rps) / steadyRps,
          p99Ratio: Math.max(...p99) / steadyP99,
        },
      ];
    }),
  );

/** `rebuild --all` started beside the serving node, loaded until it ends or the windows run out. */
const duringRebuild = async (ctx, dataset, plans, steady) => {
  const started = Date.now();
  const rebuild = procs.start(process.execPath, [ctx.build.cli, 'rebuild', '--all'], { env: kh.envFor(dataset.options), capture: true, name: 'keyhold cli rebuild (under load)' });
  const windows = await windowsWhile(ctx, plans, rebuild.alive, 'rebuild --all under load');
  const finished = !rebuild.alive();
  const seconds = (Date.now() - started) / 1000;
  if (!finished) await procs.stop(rebuild, 10_000);
  else if (rebuild.code !== 0) throw new Error(`rebuild --all under load exited with ${rebuild.code}: ${rebuild.stderr.slice(-500)}`);
  return { cause: 'rebuild --all while serving', windows, finished, seconds, byPlan: compare(windows, steady) };
};

/** The relay's and the key shredder's checkpoints (`libs/platform/src/background-checkpoints.ts`), as a restore into a fresh data dir lacks them. */
const dropBackgroundCheckpoints = (dataDir) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `background-checkpoints.sqlite${suffix}`), { force: true });
};

/**
 * The node stopped, `prepare`d, and started again; loaded from the moment it listens until every
 * projection has caught up (polled every 500 ms) or the windows run out. Stops the new node.
 */
const restartedAfter = async (ctx, dataset, node, plans, steady, adminToken, { cause, label, prepare }) => {
  await kh.stopNode(node);
  prepare(dataset.dataDir);
  const restarted = await kh.startNode(ctx.build, { ...node.options, port: node.port, label: `${node.options.label}-${label}` });
  let caughtUpAt = null;
  const poll = (async () => {
    while (caughtUpAt === null && restarted.handle.alive()) {
      if (await kh.caughtUp(restarted.url, adminToken).catch(() => null)) caughtUpAt = Date.now();
      else await sleep(500);
    }
  })();
  const windows = await windowsWhile(ctx, plans, () => caughtUpAt === null, CAUSES[cause]);
  const seconds = ((caughtUpAt ?? Date.now()) - restarted.listeningAt) / 1000;
  const finished = caughtUpAt !== null;
  await kh.stopNode(restarted);
  await poll;
  return {
    cause: CAUSES[cause],
    listeningSeconds: (restarted.listeningAt - restarted.startedAt) / 1000,
    windows,
    finished,
    seconds,
    byPlan: compare(windows, steady),
  };
};

/** What a new node on an existing log goes through: every read model rebuilt from the log at start. */
const afterRestart = (ctx, dataset, node, plans, steady, adminToken) =>
  restartedAfter(ctx, dataset, node, plans, steady, adminToken, { cause: 'restart', label: 'restarted', prepare: dropReadModels });

/**
 * A log restored without its background checkpoints. The read models are first brought to the
 * head unloaded (the restart before may have been stopped mid-way), so that the windows measure
 * the relay and the shredder alone.
 */
const afterRestoredLog = async (ctx, dataset, node, plans, steady, adminToken) => {
  await kh.stopNode(node);
  const settling = await kh.startNode(ctx.build, { ...node.options, port: node.port, label: `${node.options.label}-settling` });
  await kh.waitCaughtUp(settling, adminToken);
  return restartedAfter(ctx, dataset, settling, plans, steady, adminToken, { cause: 'restored', label: 'restored', prepare: dropBackgroundCheckpoints });
};

module.exports = { duringRebuild, afterRestart, afterRestoredLog };
