'use strict';
/**
 * Preloaded (`node -r`) into a node whose memory the bench measures, never into the service
 * itself. On SIGWINCH (a signal the service leaves alone: Nest's shutdown hooks take SIGUSR2)
 * it runs two full garbage collections and appends one JSON line to BENCH_MEMORY_PROBE_FILE
 * with the process's memory before and after them, so the report can tell memory the node
 * holds from garbage that V8 had not yet needed to collect.
 */
const { appendFileSync } = require('node:fs');
const { setFlagsFromString } = require('node:v8');
const { runInNewContext } = require('node:vm');

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');
const file = process.env.BENCH_MEMORY_PROBE_FILE;

process.on('SIGWINCH', () => {
  const before = process.memoryUsage();
  collectGarbage();
  collectGarbage();
  const after = process.memoryUsage();
  appendFileSync(file, `${JSON.stringify({ before, after })}\n`);
});
