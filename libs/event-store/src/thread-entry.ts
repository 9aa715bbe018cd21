import { extname, join } from 'node:path';

/**
 * How to start a worker thread whose entry `<name>` lies beside the calling module (`callerFile`:
 * its `__filename`): JavaScript in the build. Run from source (ts-jest runs the .ts files) it is
 * TypeScript, which a worker thread loads through ts-node (transpile only, as ts-jest does) with
 * tsconfig-paths resolving the `@keyhold/*` names.
 */
export const threadEntry = (callerFile: string, name: string): { filename: string; execArgv: string[] } => {
  const extension = extname(callerFile);
  const filename = join(callerFile, '..', `${name}${extension}`);
  if (extension !== '.ts') return { filename, execArgv: [] };
  return { filename, execArgv: ['--require', 'ts-node/register/transpile-only', '--require', 'tsconfig-paths/register'] };
};
