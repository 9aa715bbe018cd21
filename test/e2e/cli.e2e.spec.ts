import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyholdHarness } from '../support/keyhold-harness';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'keyhold', 'src', 'cli', 'cli.js');

/** Runs the built CLI as a newcomer's script would, against a data directory. */
const cli = (dataDir: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30_000 });

describe('The bootstrap CLI', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) execFileSync('npx', ['nest', 'build', 'keyhold'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  it('creates a tenant and prints its admin token once, as the last line of stdout', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-cli-'));
    const run = cli(dataDir, 'bootstrap', '--tenant', 'acme', '--admin', 'alice@acme.test');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(Object.keys(result).sort()).toEqual(['tenantId', 'token', 'userId']);
    expect(result.token).toMatch(/^kh_pat_/);

    const keyhold = await KeyholdHarness.start(dataDir);
    try {
      const me = await keyhold.get('/v1/me', result.token);
      expect(me.body).toMatchObject({ tenantId: result.tenantId, actor: { kind: 'user', id: result.userId } });
      expect(me.body.permissions).toContain('users:write');
    } finally {
      await keyhold.stop();
    }

    const again = cli(dataDir, 'bootstrap', '--tenant', 'acme', '--admin', 'bob@acme.test');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("Tenant 'acme' already exists");
    expect(again.stdout).toBe('');
  });

  it('reaches a running node: a tenant bootstrapped beside it can call it at once', async () => {
    const keyhold = await KeyholdHarness.start();
    try {
      const run = cli(keyhold.dataDir, 'bootstrap', '--tenant', 'hooli', '--admin', 'gavin@hooli.test');
      expect(run.status).toBe(0);
      const { token } = JSON.parse(run.stdout.trim().split('\n').pop()!);
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
        status = (await keyhold.get('/v1/me', token)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status).toBe(200);
    } finally {
      await keyhold.stop();
    }
  });

  it.each([
    [['bootstrap', '--tenant', 'Not A Slug', '--admin', 'a@b.test'], 'tenant must be a slug'],
    [['bootstrap', '--tenant', 'ok', '--admin', 'not-an-email'], 'admin must be an e-mail address'],
    [['frobnicate'], 'Usage'],
  ])('refuses %j with a clear message and exit code 2', (args, message) => {
    const run = cli(mkdtempSync(join(tmpdir(), 'keyhold-cli-')), ...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
