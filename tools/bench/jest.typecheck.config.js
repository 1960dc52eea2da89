// The same suites as `npm test`'s jest run, under ts-jest's default mode: every test file is
// type-checked by ts-jest's language service while it is transformed (isolatedModules off). The
// bench compares this with `npm test` = `tsc --noEmit && jest --ci` (transpile only).
// Run: npx jest --ci -c bench/jest.typecheck.config.js
const path = require('node:path');
const base = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: path.join(__dirname, '..'),
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/bench/tsconfig.typecheck.json' }] },
};
