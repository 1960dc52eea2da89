// @ts-check
/**
 * The pre-commit hook's checks (simple-git-hooks runs lint-staged, see package.json), on the staged
 * files only. lint-staged hides unstaged changes meanwhile, so what is checked is what gets committed,
 * and adds the fixes to the commit. The groups run one after the other (`--concurrent false`): the
 * type-check must see the fixed files. Skip once: `git commit --no-verify` or SKIP_SIMPLE_GIT_HOOKS=1.
 */
export default {
  // eslint.config.mjs ignores *.js/*.mjs: --no-warn-ignored keeps staging one of them quiet.
  '*.{ts,mjs,js,cjs}': ['eslint --fix --no-warn-ignored', 'prettier --write --ignore-unknown'],
  '*.{json,md,yml,yaml}': 'prettier --write --ignore-unknown',
  // Once for the whole project, not per file: tsc cannot check single files against tsconfig.json.
  // npm run typecheck names its compiler (TypeScript 7) by path: `npx tsc` may be either version.
  '*.ts': () => 'npm run -s typecheck',
  // Every staged file whatever its type, force-added ignored files included.
  '*': 'secretlint --no-glob',
};
