// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import security from 'eslint-plugin-security';

/** eslint-plugin-security's recommended rules, as errors: a finding fails `npm run lint` and the build. */
const securityErrors = Object.fromEntries(
  Object.keys(security.configs.recommended.rules).map((rule) => [rule, 'error'])
);

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'test-reports/**', '**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { ...security.configs.recommended, rules: securityErrors },
  {
    // Flags every computed member access (`obj[name]`) whatever the key's type: 210 findings here, all
    // on typed keys. The one place that writes client-chosen keys (functions/shared/pagination.ts,
    // cursor decoding) accepts only allowlisted key names, so `__proto__` cannot get through.
    rules: { 'security/detect-object-injection': 'off' },
  },
  {
    // Build-time tooling (synth, tests, bench, scripts) reads and writes the repository's own files
    // by computed paths; no untrusted input reaches them. Lambda code (functions/) keeps both rules.
    files: ['bin/**', 'lib/**', 'stages/**', 'test/**', 'tools/**', 'scripts/**'],
    rules: {
      'security/detect-non-literal-fs-filename': 'off',
      'security/detect-non-literal-require': 'off',
    },
  },
  {
    // Test and bench patterns only ever run on the tests' own fixtures and outputs.
    files: ['test/**', 'tools/**'],
    rules: { 'security/detect-unsafe-regex': 'off', 'security/detect-non-literal-regexp': 'off' },
  },
  {
    // CDK constructs are instantiated for their side effects (`new Foo(this, ...)`).
    files: ['bin/**', 'lib/**', 'stages/**', 'test/**'],
    rules: { 'no-new': 'off' },
  },
  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier
);
