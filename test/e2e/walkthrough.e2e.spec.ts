import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyholdHarness } from '../support/keyhold-harness';

const ROOT = join(__dirname, '..', '..');
/** The built CLI, wherever `npm run cli` runs it from. */
const CLI = join(ROOT, require('../../package.json').scripts.cli.replace(/^node\s+/, ''));
const SECRET = /kh_[a-z]+_[0-9A-Za-z]{40,}/;

/** The README quotes docs/walkthrough.sh; here it runs, as a newcomer would, against a fresh service. */
describe('The README walkthrough', () => {
  let keyhold: KeyholdHarness;

  beforeAll(async () => {
    if (!existsSync(CLI)) execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
    keyhold = await KeyholdHarness.start();
  }, 120_000);
  afterAll(() => keyhold.stop());

  it('runs every step with the status it expects, bootstrapping with the CLI beside the service', async () => {
    // Asynchronous: the service answering the script runs in this very process.
    const { stdout, stderr } = await promisify(execFile)('bash', [join(ROOT, 'docs', 'walkthrough.sh')], {
      cwd: ROOT,
      env: { ...process.env, BASE: keyhold.url, DATA_DIR: keyhold.dataDir, KEYHOLD_CLI: `${process.execPath} ${CLI}` },
      timeout: 60_000,
    });
    expect(stderr).toBe('');
    const steps = stdout.split('\n').filter((line) => line.startsWith('✓ '));
    expect(steps.length).toBeGreaterThanOrEqual(30);
    expect(steps).toContain('✓ GET /metrics → 200');
    expect(stdout.trim().split('\n').pop()).toBe('Walkthrough complete.');
    expect(stdout).not.toMatch(SECRET);
  }, 90_000);

  it('is what the README quotes, from the bootstrap on', () => {
    const script = readFileSync(join(ROOT, 'docs', 'walkthrough.sh'), 'utf8');
    const steps = script.slice(script.indexOf('# Create a tenant and its first admin;')).trimEnd();
    expect(steps.split('\n').length).toBeGreaterThan(50);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`\`\`\`bash\n${steps}\n\`\`\``);
  });

  it('stops at the first step whose status differs, naming it', async () => {
    const run = promisify(execFile)('bash', [join(ROOT, 'docs', 'walkthrough.sh')], {
      cwd: ROOT,
      env: { ...process.env, BASE: keyhold.url, ADMIN: 'kh_pat_not-a-real-token' },
      timeout: 30_000,
    });
    await expect(run).rejects.toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('✗ GET /v1/me: expected 200, got 401') });
  });
});
