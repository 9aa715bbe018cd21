import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The flag is V8's, read at each scavenge: what is checked is that setting it after start leaves
 * the helper threads out, as V8's own trace of every scavenge reports (`background.scavenge.parallel`,
 * their time). In a process of its own, so that this test runner's scavenges stay as they are.
 */
const STARTED = 'allocating';

const scavengeTraces = (setFlag: boolean): string[] => {
  const program = `
    ${setFlag ? `require(${JSON.stringify(join(__dirname, 'scavenges.ts'))}).scavengeWithoutHelperThreads();` : ''}
    process.stdout.write('${STARTED}\\n');
    let kept = [];
    for (let i = 0; i < 1e6; i += 1) { kept.push({ i, s: 'x' + i }); if (kept.length > 100000) kept = []; }`;
  const run = spawnSync(process.execPath, ['--require', 'ts-node/register/transpile-only', '--trace-gc-nvp', '-e', program], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  // Loading ts-node scavenges before the flag is set: only what comes after counts.
  return run.stdout.slice(run.stdout.indexOf(STARTED)).split('\n').filter((line) => line.includes('gc=s '));
};

const helperTime = (trace: string) => Number(/background\.scavenge\.parallel=([0-9.]+)/.exec(trace)?.[1]);

describe('scavengeWithoutHelperThreads', () => {
  it('leaves every scavenge to the thread that triggered it', () => {
    const traces = scavengeTraces(true);
    expect(traces.length).toBeGreaterThan(5);
    expect(traces.map(helperTime)).toEqual(traces.map(() => 0));
  });

  it('changes what V8 does by default: helpers take part in some scavenges', () => {
    expect(scavengeTraces(false).map(helperTime).some((ms) => ms > 0)).toBe(true);
  });
});
