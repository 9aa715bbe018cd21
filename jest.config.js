/**
 * One configuration, three tiers told apart by file suffix (unit, int, e2e); each tier has its
 * own npm script. ts-jest only transpiles (tsconfig sets isolatedModules): `npm run typecheck` is the
 * type gate, so tests start fast. SWC would be faster still, but the registry we install from
 * lacks its other platforms' binaries, which makes its lock file fail `npm ci`.
 */
const transform = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '\\.(unit|int|e2e)\\.spec\\.ts$',
  transform: { '^.+\\.ts$': transform },
  moduleNameMapper: { '^@keyhold/(.*)$': '<rootDir>/libs/$1/src' },
  testTimeout: 30000,
};
