// The same suites as `npm test`'s jest run, under ts-jest's default mode: ts-jest's language
// service type-checks every test file while transforming it (isolatedModules off). `npm run bench`
// compares it with `npm test` = `tsc --noEmit && jest --ci` (swc, transpile only).
// Run: npx jest --ci -c tools/bench/jest.typecheck.config.js
const path = require('node:path');
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: path.join(__dirname, '..', '..'),
  // The project's tsconfig.json, with type-checking per file instead of transpiling each alone.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: false } }] },
};
