'use strict';
/**
 * The load generator: wrk (C, one event loop per thread, Debian's `wrk` package) driven by
 * bench/wrk.lua, which rotates the plan's bodies and header sets. Chosen because its
 * per-request work is C and LuaJIT, where autocannon runs JavaScript hooks per request: issue 18
 * measured autocannon at about a third of wrk against the bare server. On 2026-11-29 the two
 * read within 20% of each other (the bare server on its one core was the ceiling then); the bench
 * measures both once per run (`generatorCeiling`) so that every report shows which held.
 * Same plan and same result shape as bench/load.js (autocannon), which stays the fallback where
 * wrk is not installed.
 */
const { spawnSync } = require('node:child_process');
const { writeFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const procs = require('./procs');

const WRK = process.env.BENCH_WRK ?? 'wrk';
const SCRIPT = join(__dirname, '..', 'wrk.lua');

const available = () => spawnSync(WRK, ['--version'], { stdio: 'ignore' }).error === undefined;

/** One line per request: the authorization header and the body, neither holding a tab or a newline. */
const requestLines = (plan) => {
  const bodies = plan.bodies ?? [''];
  const authorizations = (plan.perRequest?.headers ?? [plan.headers ?? {}]).map((h) => h.authorization ?? '');
  const lines = [];
  for (let n = 0; n < Math.max(bodies.length, authorizations.length); n += 1) {
    const line = `${authorizations[n % authorizations.length]}\t${bodies[n % bodies.length]}`;
    if (/[\n\r]/.test(line) || line.split('\t').length !== 2) throw new Error('a request of the plan holds a tab or a newline');
    lines.push(line);
  }
  return lines;
};

/** Runs one plan with wrk (one thread: the plans' connection counts are small) and answers load.js's result shape. */
const runWrk = async (plan, scratch) => {
  const file = join(scratch, `wrk-requests-${process.hrtime.bigint()}.txt`);
  writeFileSync(file, `${requestLines(plan).join('\n')}\n`, { mode: 0o600 }); // may hold bearer secrets of the bench's own users
  const url = new URL(plan.url);
  try {
    const handle = await procs.run(
      WRK,
      ['-t1', `-c${plan.connections}`, `-d${plan.durationSeconds}s`, `--timeout`, `${plan.timeoutSeconds ?? 10}s`, '-s', SCRIPT, url.origin],
      {
        name: 'wrk',
        env: {
          ...process.env,
          WRK_REQUESTS: file,
          WRK_METHOD: plan.method ?? 'GET',
          WRK_PATH: url.pathname,
          WRK_CONTENT_TYPE: plan.headers?.['content-type'] ?? '',
          WRK_CHECK: plan.check ?? '',
          WRK_LABEL_TEMPLATE: plan.labelTemplate ? '1' : '',
          WRK_RUN_ID: `${process.pid}-${Date.now()}`,
        },
      },
    );
    const line = handle.stdout.trim().split('\n').find((l) => l.startsWith('{"generator":"wrk"'));
    if (!line) throw new Error(`wrk printed no result: ${handle.stdout.slice(-500)}`);
    const result = JSON.parse(line);
    // No answer at all: wrk's percentiles read 0 ms, which would pass for fast; they are unknown.
    if (result.totalRequests === 0) result.latencyMs = Object.fromEntries(Object.keys(result.latencyMs).map((k) => [k, k === 'samples' ? 0 : null]));
    return result;
  } finally {
    rmSync(file, { force: true });
  }
};

module.exports = { available, runWrk };
