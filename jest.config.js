/**
 * One configuration, three tiers told apart by file suffix (unit, int, e2e); each tier has its
 * own npm script. SWC compiles TypeScript (with decorator metadata, which NestJS and
 * class-validator need) far faster than ts-jest; `npm run typecheck` is the type gate.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '\\.(unit|int|e2e)\\.spec\\.ts$',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@keyhold/(.*)$': '<rootDir>/libs/$1/src' },
  globalSetup: '<rootDir>/test/global-setup.ts',
  testTimeout: 30000,
};
