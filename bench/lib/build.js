'use strict';
/**
 * Compiles the service for the bench into a private directory (under node_modules/.cache, which
 * git ignores), never into dist/: a long bench run must not be broken by someone rebuilding
 * dist/, nor break their tests by rebuilding it. `ref` benches a committed version instead of the
 * working tree (a `git archive` of apps/ and libs/ built the same way).
 */
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const { run, tempDir } = require('./procs');
const { log } = require('./util');

const ROOT = resolve(__dirname, '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'keyhold-bench');

const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

const sourceInfo = (ref) => {
  try {
    const commit = git('rev-parse', ref ?? 'HEAD');
    const dirty = ref ? false : git('status', '--porcelain', '--', 'apps', 'libs').length > 0;
    return { commit, dirty, ref: ref ?? 'working tree' };
  } catch {
    return { commit: null, dirty: null, ref: ref ?? 'working tree' };
  }
};

const build = async ({ ref = null } = {}) => {
  const info = sourceInfo(ref);
  const nest = join(ROOT, 'node_modules', '.bin', 'nest');
  let projectDir = ROOT;
  const outDir = join(CACHE, ref ? `dist-${info.commit.slice(0, 12)}` : 'dist-worktree');
  if (ref) {
    projectDir = tempDir('src');
    execFileSync('bash', ['-c', `git archive "${info.commit}" apps libs tsconfig.json tsconfig.build.json nest-cli.json | tar -x -C "${projectDir}"`], {
      cwd: ROOT,
    });
    symlinkSync(join(ROOT, 'node_modules'), join(projectDir, 'node_modules'));
  }
  // The bench's tsconfig lives under node_modules/.cache (ignored by git), never in the work tree.
  const configDir = join(projectDir, 'node_modules', '.cache', 'keyhold-bench');
  mkdirSync(configDir, { recursive: true });
  const tsconfig = join(configDir, `tsconfig-${process.pid}.json`);
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(projectDir, 'tsconfig.build.json'),
      compilerOptions: { outDir, incremental: false, sourceMap: false },
    }),
  );
  log(`building the service (${info.ref}${info.commit ? ` ${info.commit.slice(0, 12)}` : ''}${info.dirty ? ', with uncommitted changes' : ''}) into ${outDir}`);
  try {
    // One build is kept: the previous ones (other commits) are removed.
    for (const old of readdirSync(CACHE)) if (old.startsWith('dist-')) rmSync(join(CACHE, old), { recursive: true, force: true });
    await run(nest, ['build', 'keyhold', '-p', relative(projectDir, tsconfig)], { cwd: projectDir, name: 'nest build' });
  } finally {
    rmSync(tsconfig, { force: true });
  }
  const main = join(outDir, 'apps', 'keyhold', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`the build produced no ${main}`);
  return { ...info, distDir: outDir, main, cli: join(outDir, 'apps', 'keyhold', 'src', 'cli', 'cli.js') };
};

module.exports = { build, ROOT };
