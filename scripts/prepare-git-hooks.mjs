// @ts-check
/**
 * npm's `prepare` step (runs on `npm install` and `npm ci` in this directory): installs the
 * pre-commit hook (simple-git-hooks; the hook runs lint-staged, see lint-staged.config.mjs) in a
 * developer's clone. It does nothing, and never fails the install, where a hook has no place:
 * CI (CI=true) and CodeBuild, a checkout without .git (a source zip), an install without dev
 * dependencies, or when opted out with SKIP_INSTALL_SIMPLE_GIT_HOOKS=1 or, for good in one clone,
 * `git config --local hooks.skipInstall true`.
 * Plain JavaScript: it runs before anything else is known to be installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The git config key of the per-clone opt-out. */
export const SKIP_INSTALL_GIT_CONFIG = 'hooks.skipInstall';

const TRUTHY = ['1', 'true'];

/**
 * @param {string} root
 * @param {string} key
 */
function gitConfig(root, key) {
  try {
    return execFileSync('git', ['config', '--local', '--get', key], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return undefined; // unset, or no git at all
  }
}

/**
 * Why the hook is not installed here, or undefined to install it.
 * @param {NodeJS.ProcessEnv} env
 * @param {string} root the package directory (npm runs `prepare` there)
 * @returns {string | undefined}
 */
export function skipReason(env, root) {
  if (env.CI && !['0', 'false'].includes(env.CI.toLowerCase())) return `CI=${env.CI}`;
  if (env.CODEBUILD_BUILD_ID) return 'running in CodeBuild';
  if (TRUTHY.includes(env.SKIP_INSTALL_SIMPLE_GIT_HOOKS ?? '')) return 'SKIP_INSTALL_SIMPLE_GIT_HOOKS is set';
  // simple-git-hooks would look for .git in the parent directories and install the hook there.
  if (!existsSync(path.join(root, '.git'))) return 'not a git clone (no .git here)';
  if (TRUTHY.includes(gitConfig(root, SKIP_INSTALL_GIT_CONFIG) ?? '')) {
    return `git config ${SKIP_INSTALL_GIT_CONFIG} is true`;
  }
  return undefined;
}

function main() {
  const root = process.cwd();
  const reason = skipReason(process.env, root);
  if (reason !== undefined) {
    console.log(`[prepare] git hooks not installed: ${reason}`);
    return;
  }
  let cli;
  try {
    cli = createRequire(path.join(root, 'package.json')).resolve('simple-git-hooks/cli.js');
  } catch {
    console.log(
      '[prepare] git hooks not installed: simple-git-hooks is missing (installed without dev dependencies)'
    );
    return;
  }
  try {
    execFileSync(process.execPath, [cli], { cwd: root, stdio: 'inherit' });
  } catch (err) {
    // A hook is a convenience: never fail the install over it. The build runs the same checks.
    console.warn(
      `[prepare] could not install the git hooks: ${err instanceof Error ? err.message : String(err)}`
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
