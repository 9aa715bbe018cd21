'use strict';
/**
 * Every process the bench starts goes through here: each gets its own process group (so a
 * launcher script and the JVM it starts die together), is remembered, and is killed when the
 * bench exits for any reason (normal end, error, Ctrl-C, SIGTERM). Nothing else is ever killed.
 */
const { spawn } = require('node:child_process');
const { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { sleep } = require('./util');

const running = new Set();
const cleanups = [];
const tempDirs = new Set();

/** A scratch directory removed when the bench ends, however it ends. */
const tempDir = (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), `keyhold-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
};
const removeTempDir = (dir) => {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
};

const groupAlive = (pid) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

const killGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
};

/**
 * Starts `command` in its own process group; output goes to `logFile` (or is kept in memory
 * when `capture` is set). Returns a handle with `exited` (a promise of the exit code).
 */
const start = (command, args, { env = process.env, cwd, logFile, capture = false, name = command } = {}) => {
  const child = spawn(command, args, { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { name, pid: child.pid, child, stdout: '', stderr: '', code: null, exited: null };
  const sink = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
  child.stdout.on('data', (chunk) => {
    if (capture) handle.stdout += chunk;
    sink?.write(chunk);
  });
  child.stderr.on('data', (chunk) => {
    if (capture) handle.stderr += chunk;
    sink?.write(chunk);
  });
  handle.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      handle.code = code ?? (signal ? `signal ${signal}` : null);
      running.delete(handle);
      // The group may outlive its leader (a launcher script's JVM): reap it too.
      if (groupAlive(handle.pid)) killGroup(handle.pid, 'SIGKILL');
      sink?.end();
      resolve(handle.code);
    });
    child.on('error', (error) => {
      handle.code = `spawn error: ${error.message}`;
      running.delete(handle);
      resolve(handle.code);
    });
  });
  handle.alive = () => handle.code === null;
  running.add(handle);
  return handle;
};

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the whole group is gone. */
const stop = async (handle, graceMs = 15_000) => {
  if (!handle) return;
  if (handle.alive()) killGroup(handle.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(handle.pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(handle.pid)) {
    killGroup(handle.pid, 'SIGKILL');
    while (groupAlive(handle.pid)) await sleep(50);
  }
  await Promise.race([handle.exited, sleep(2000)]);
};

/** Runs a command to completion and returns its output; throws on a non-zero exit. */
const run = async (command, args, options = {}) => {
  const handle = start(command, args, { ...options, capture: true });
  const code = await handle.exited;
  if (code !== 0 && !options.allowFailure) {
    const tail = `${handle.stderr}\n${handle.stdout}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${options.name ?? command} exited with ${code}:\n${tail}`);
  }
  return handle;
};

/** Resident set size in bytes of every process in the group led by `pid` (a JVM under its launcher script included). */
const groupRss = (pid) => {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pid) continue; // field 5 of stat: process group id
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+) kB/.exec(status);
      if (match) total += Number(match[1]) * 1024;
    } catch {
      /* the process ended meanwhile */
    }
  }
  return total;
};

/** Registers a clean-up step (temp dirs, servers started through scripts) run at exit, last first. */
const onCleanup = (fn) => cleanups.push(fn);

let cleaning = null;
const cleanupAll = async () => {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    await Promise.all([...running].map((handle) => stop(handle, 10_000).catch(() => undefined)));
    while (cleanups.length > 0) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`[bench] clean-up step failed: ${error.message}\n`);
      }
    }
    for (const dir of [...tempDirs]) removeTempDir(dir);
  })();
  return cleaning;
};

/** Last resort when the process exits without the async clean-up: kill what is left, synchronously. */
process.on('exit', () => {
  for (const handle of running) killGroup(handle.pid, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`[bench] ${signal}: stopping everything the bench started\n`);
    cleanupAll().finally(() => process.exit(130));
  });
}

module.exports = { start, stop, run, groupRss, onCleanup, cleanupAll, tempDir, removeTempDir };
