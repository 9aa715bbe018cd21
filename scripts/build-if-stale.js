#!/usr/bin/env node
/**
 * `npm run cli` and `npm start` build first, but only when the build is missing or older than a
 * source: a walk comparing modification times takes milliseconds, `nest build` tens of seconds.
 * Sources are the TypeScript under apps/ and libs/ (tests excluded, as tsconfig.build.json
 * excludes them), the console's pages and styles, and the files that steer the compilers. A checkout or an edit touches a file's
 * time, so either makes the next run rebuild.
 */
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
/** What `npm start` runs (`node dist/…/main.js`): built last by `nest build`, it dates the build. */
const BUILT = join(ROOT, require('../package.json').scripts.start.replace(/^node\s+/, '').split(/\s+/)[0]);
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package.json'];
/** The API's TypeScript, and the console's (TSX, styles, its index.html and Vite config). */
const SOURCE = /\.(ts|tsx|mts|css|html)$/;

const mtimeOf = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
};

const newestSource = () => {
  let newest = Math.max(...CONFIG_FILES.map((file) => mtimeOf(join(ROOT, file)) ?? 0));
  for (const top of ['apps', 'libs']) {
    for (const entry of readdirSync(join(ROOT, top), { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !SOURCE.test(entry.name) || entry.name.endsWith('.spec.ts')) continue;
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
};

const built = mtimeOf(BUILT);
if (built !== null && built >= newestSource()) process.exit(0);
process.stderr.write(built === null ? 'No build yet: building…\n' : 'Sources changed since the last build: building…\n');
const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
process.exit(build.status ?? 1);
