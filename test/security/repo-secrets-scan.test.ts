import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The build's secrets scan (`npm run secrets-scan`: secretlint over the repository, .gitignore
 * respected) fails on a planted AWS key: the same npm script runs in a temporary copy of part of the
 * repository, clean and then with a fake key. The key is assembled at run time, so the repository
 * itself never holds one.
 */
const ROOT = path.join(__dirname, '..', '..');
/** What the scan needs (its config, .gitignore, package.json for the script) plus ordinary sources. */
const COPIED = [
  'package.json',
  '.secretlintrc.json',
  '.gitignore',
  'README.md',
  'buildspec.yml',
  'cdk.json',
  'lib/config/load-config.ts',
  'functions/slack-notifier/index.ts',
];
const FAKE_ACCESS_KEY_ID = ['AKIA', 'Z7Q2WXRT', 'YP4LMN8K'].join('');
const FAKE_SECRET_ACCESS_KEY = ['h3Kq9TzR', 'vB1xLm0N', 'pWc7YsE2', 'uJ4aG6fD', '8oIiKt5Q'].join('');
const LEAK = [
  `const credentials = {`,
  `  accessKeyId: '${FAKE_ACCESS_KEY_ID}',`,
  `  aws_secret_access_key: '${FAKE_SECRET_ACCESS_KEY}',`,
  `};`,
  '',
].join('\n');

interface Scan {
  readonly code: number;
  readonly output: string;
}

function scan(dir: string): Promise<Scan> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'secrets-scan', '--', '--format', 'unix', '--no-color'],
      { cwd: dir, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` })
    );
  });
}

let dir: string;
let clean: Scan;
let leaked: Scan;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repo-secrets-scan-'));
  for (const file of COPIED) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  // The scanner and its rules, as installed; secretlint never scans node_modules.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  clean = await scan(dir);

  fs.writeFileSync(path.join(dir, 'lib', 'leaked-credentials.ts'), LEAK);
  // Ignored by .gitignore, as build output is: not scanned (the cloud assembly has its own scan).
  fs.mkdirSync(path.join(dir, 'cdk.out'));
  fs.writeFileSync(path.join(dir, 'cdk.out', 'ignored.ts'), LEAK);
  leaked = await scan(dir);
}, 120_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('passes on the clean copy', () => {
  expect(clean).toEqual({ code: 0, output: '' });
});

test('fails on a planted AWS access key id and secret access key, naming file, line and rule', () => {
  expect(leaked.code).toBe(1);
  const findings = leaked.output
    .split('\n')
    .filter((line) => line.includes('leaked-credentials.ts'))
    .map((line) => line.replace(fs.realpathSync(dir), '').replace(dir, ''));
  expect(findings).toEqual([
    expect.stringMatching(/^\/lib\/leaked-credentials\.ts:2:\d+: \[AWSAccessKeyID\] found AWS Access Key ID/),
    expect.stringMatching(
      /^\/lib\/leaked-credentials\.ts:3:\d+: \[AWSSecretAccessKey\] found AWS Secret Access Key/
    ),
  ]);
  expect(leaked.output).toContain('@secretlint/secretlint-rule-aws');
});

test('masks what it found and skips what .gitignore ignores', () => {
  expect(leaked.output).not.toContain(FAKE_ACCESS_KEY_ID);
  expect(leaked.output).not.toContain(FAKE_SECRET_ACCESS_KEY);
  expect(leaked.output).not.toContain('cdk.out');
});
