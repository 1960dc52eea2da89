import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * npm's `prepare` step installs the pre-commit hook in a developer's clone and nothing anywhere
 * else (CI, CodeBuild, a checkout without .git, an opted-out clone), never failing the install.
 * Each case runs the script as npm does, in a temporary project with the repository's package.json.
 */
const ROOT = path.join(__dirname, '..', '..');
const PREPARE = path.join(ROOT, 'scripts', 'prepare-git-hooks.mjs');
const HOOK = path.join('.git', 'hooks', 'pre-commit');

/** The environment without anything that would skip the install. */
const baseEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !['CI', 'CODEBUILD_BUILD_ID', 'SKIP_INSTALL_SIMPLE_GIT_HOOKS'].includes(name)
    )
  );

function project(options: { git: boolean }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-hooks-'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  if (options.git) execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

function prepare(dir: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [PREPARE], {
    cwd: dir,
    env: { ...baseEnv(), ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: `${result.stdout}${result.stderr}` };
}

const dirs: string[] = [];
const tempProject = (options: { git: boolean }) => {
  const dir = project(options);
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

test('installs a pre-commit hook that runs lint-staged and can be skipped', () => {
  const dir = tempProject({ git: true });
  expect(prepare(dir).status).toBe(0);
  const hook = fs.readFileSync(path.join(dir, HOOK), 'utf8');
  expect(hook).toContain('npx lint-staged --concurrent false');
  expect(hook).toContain('SKIP_SIMPLE_GIT_HOOKS');
});

test.each([
  ['in CI', { CI: 'true' }, /not installed: CI=true/],
  ['in CodeBuild', { CODEBUILD_BUILD_ID: 'synth:0f1e2d3c' }, /not installed: running in CodeBuild/],
  [
    'when SKIP_INSTALL_SIMPLE_GIT_HOOKS=1',
    { SKIP_INSTALL_SIMPLE_GIT_HOOKS: '1' },
    /SKIP_INSTALL_SIMPLE_GIT_HOOKS/,
  ],
])('does nothing %s', (_, env, message) => {
  const dir = tempProject({ git: true });
  const result = prepare(dir, env);
  expect(result).toEqual({ status: 0, stdout: expect.stringMatching(message) as string });
  expect(fs.existsSync(path.join(dir, HOOK))).toBe(false);
});

test('does nothing, and does not fail, without .git (a source zip), even inside another repository', () => {
  const outer = tempProject({ git: true });
  const inner = path.join(outer, 'checkout');
  fs.mkdirSync(inner);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(inner, 'package.json'));
  expect(prepare(inner)).toEqual({ status: 0, stdout: expect.stringMatching(/not a git clone/) as string });
  expect(fs.existsSync(path.join(outer, HOOK))).toBe(false);
});

test('does nothing in a clone opted out with git config hooks.skipInstall', () => {
  const dir = tempProject({ git: true });
  execFileSync('git', ['config', '--local', 'hooks.skipInstall', 'true'], { cwd: dir });
  expect(prepare(dir).stdout).toMatch(/git config hooks.skipInstall is true/);
  expect(fs.existsSync(path.join(dir, HOOK))).toBe(false);
});

test('does not fail the install when installed without dev dependencies', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-hooks-'));
  dirs.push(dir);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  expect(prepare(dir)).toEqual({
    status: 0,
    stdout: expect.stringMatching(/simple-git-hooks is missing/) as string,
  });
});
