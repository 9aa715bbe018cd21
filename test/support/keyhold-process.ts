import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Runs apps/keyhold/src/main.ts in a separate node process, compiling TypeScript as it loads (as
 * ts-jest does for this suite), so the nodes run the working tree rather than a stale dist/.
 */
const LOADER = `
const ts = require('typescript');
const { readFileSync } = require('node:fs');
require('tsconfig-paths').register({ baseUrl: process.cwd(), paths: { '@keyhold/*': ['libs/*/src'] } });
const { options } = ts.convertCompilerOptionsFromJson(ts.readConfigFile('tsconfig.json', ts.sys.readFile).config.compilerOptions, process.cwd());
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions: { ...options, sourceMap: false }, fileName: filename });
  module._compile(outputText, filename);
};
require(process.cwd() + '/apps/keyhold/src/main.ts');
`;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

export const waitFor = async <T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Keyhold running in a process of its own (so that it can be killed), with its output captured. */
export type KeyholdProcess = { url: string; child: ChildProcess; output: string[] };

export const startNode = async (env: Record<string, string>): Promise<KeyholdProcess> => {
  const port = env.KEYHOLD_ROLES === 'worker' ? 0 : await freePort();
  const child = spawn(process.execPath, ['-e', LOADER], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KAFKAJS_NO_PARTITIONER_WARNING: '1', HOST: '127.0.0.1', LOG_LEVEL: 'warn', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk) => output.push(String(chunk)));
  child.stderr!.on('data', (chunk) => output.push(String(chunk)));
  const node = { url: `http://127.0.0.1:${port}`, child, output };
  if (env.KEYHOLD_ROLES === 'worker') return node;
  await waitFor(`node on ${port} to listen`, async () => {
    if (child.exitCode !== null) throw new Error(`node exited: ${output.join('')}`);
    return (await fetch(`${node.url}/health`)).ok;
  }, 60_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${output.join('')}`);
  });
  return node;
};

export const stopNode = async (node: KeyholdProcess | undefined) => {
  if (!node || node.child.exitCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  await exited;
};

