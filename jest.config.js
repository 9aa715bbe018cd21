/**
 * One configuration, three tiers told apart by file suffix (unit, int, e2e); each tier has its
 * own npm script. ts-jest only transpiles (tsconfig sets isolatedModules): `npm run typecheck` is the
 * type gate, so tests start fast. SWC would be faster still, but the registry we install from
 * lacks its other platforms' binaries, which makes its lock file fail `npm ci`.
 */
const transform = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }];

/**
 * Dependencies published as ES modules only. Node loads them with require(); jest's module system
 * cannot, so ts-jest turns them into CommonJS (transpile only). content-disposition comes with
 * @fastify/static, which serves Swagger UI's assets at /docs.
 */
const ESM_ONLY = ['content-disposition'];
const esmOnlyTransform = ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true } }];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '\\.(unit|int|e2e)\\.spec\\.ts$',
  transform: {
    '^.+\\.ts$': transform,
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: esmOnlyTransform,
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleNameMapper: { '^@keyhold/(.*)$': '<rootDir>/libs/$1/src' },
  testTimeout: 30000,
};
