const base = require('./jest.config');

/**
 * `npm run test:integration`: the integration suite only (test/integration/, see
 * docs/integration-tests.md), with its own JUnit report. `npm test` runs it too, through jest.config.js.
 * @type {import('jest').Config}
 */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/integration/**/*.integration.test.ts'],
  // DynamoDB Local only for the local target; against a deployed API there is nothing to start.
  globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
  reporters: [
    'default',
    ['jest-junit', { outputDirectory: 'test-reports', outputName: 'integration-junit.xml' }],
  ],
};
