'use strict';
/**
 * Catching up never starves serving (issue 18): introspection and client_credentials load on a
 * one-process node while its read models catch up, in short windows alternating the two plans,
 * each compared with the same node's steady state (its figures in the sittings just before, same
 * plans, same data). Two causes of catch-up, both on the seeded data set:
 * - `rebuild --all` run while the node serves (every read model replayed into a fresh generation);
 * - a restart with the read models dropped (what a new node on an existing log goes through):
 *   windows start as soon as the node listens.
 * Windows run while the catch-up lasts, at most `catchUpMaxWindows`; a catch-up still running
 * then is stopped (its unloaded rate is workload 6's figure, not this one's). A window that ends
 * with errors, timeouts or wrong answers counts as no throughput, as in the sittings; a window in
 * which no answer came at all gets its own length as p99 (a lower bound: every request outlived it).
 */
const kh = require('./keyhold');
const procs = require('./procs');
const { alone, dropReadModels, runLoad } = require('./workloads');
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

/**
 * The node stopped and started again with its read models dropped; loaded from the moment it
 * listens until every projection has caught up (polled every 500 ms) or the windows run out.
 */
const afterRestart = async (ctx, dataset, node, plans, steady, adminToken) => {
  await kh.stopNode(node);
  dropReadModels(dataset.dataDir);
  const restarted = await kh.startNode(ctx.build, { ...node.options, port: node.port, label: `${node.options.label}-restarted` });
  let caughtUpAt = null;
  const poll = (async () => {
    while (caughtUpAt === null && restarted.handle.alive()) {
      if (await kh.caughtUp(restarted.url, adminToken).catch(() => null)) caughtUpAt = Date.now();
      else await sleep(500);
    }
  })();
  const windows = await windowsWhile(ctx, plans, () => caughtUpAt === null, 'restart with read models dropped');
  const seconds = ((caughtUpAt ?? Date.now()) - restarted.listeningAt) / 1000;
  const finished = caughtUpAt !== null;
  await kh.stopNode(restarted);
  await poll;
  return {
    cause: 'restart with the read models dropped',
    listeningSeconds: (restarted.listeningAt - restarted.startedAt) / 1000,
    windows,
    finished,
    seconds,
    byPlan: compare(windows, steady),
  };
};

module.exports = { duringRebuild, afterRestart };
