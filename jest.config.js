/**
 * One configuration, three tiers told apart by file suffix (unit, int, e2e); each tier has its
 * own npm script. ts-jest only transpiles (tsconfig sets isolatedModules): `npm run typecheck` is the
 * type gate, so tests start fast. SWC would be faster still, but the registry we install from
 * lacks its other platforms' binaries, which makes its lock file fail `npm ci`.
 */
const transform = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }];

/**
 * Dependencies whose module syntax jest's module system cannot run, though Node can: ts-jest
 * turns them into plain CommonJS (transpile only). content-disposition (with @fastify/static,
 * which serves Swagger UI's assets at /docs) is published as ES modules only; the OTLP exporter
 * loads `http` with a dynamic import(), which jest refuses without --experimental-vm-modules.
 */
const TRANSPILED = ['content-disposition', '@opentelemetry/otlp-exporter-base'];
const transpiledTransform = ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true } }];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '\\.(unit|int|e2e)\\.spec\\.ts$',
  transform: {
    '^.+\\.ts$': transform,
    [`/node_modules/(${TRANSPILED.join('|')})/.+\\.js$`]: transpiledTransform,
  },
  transformIgnorePatterns: [`/node_modules/(?!(${TRANSPILED.join('|')})/)`],
  moduleNameMapper: { '^@keyhold/(.*)$': '<rootDir>/libs/$1/src' },
  testTimeout: 30000,
  /**
   * On this 2-core machine jest runs the suites in band, in its own process (one worker), and
   * two full runs out of three stayed alive after their summary while `--detectOpenHandles`
   * reported no handle: CI would wait out its time limit. Exiting once results are written is the
   * safety net; the handle is still to be found (a rerun with --detectOpenHandles shows none).
   */
  forceExit: true,
};
