/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only, with swc: `npm test` type-checks the whole project once (`npm run typecheck`,
  // TypeScript 7's native tsc) before jest runs. tools/bench/jest.typecheck.config.js is the slow
  // alternative `npm run bench` compares against (ts-jest type-checking every file).
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', ['jest-junit', { outputDirectory: 'test-reports', outputName: 'junit.xml' }]],
  testTimeout: 60000,
  // Jest's default leaves one core to its parent process: on the 2-core CI and dev machines that is
  // one worker, and the suite ran slower. The parent only collects results.
  maxWorkers: '100%',
};
