/**
 * Budgets of the Lambda bundles, a little above what they measure (see bench/results.md), so a
 * dependency or an import that bloats a function fails `npm test` (bundle-budget.test.ts).
 *
 * `codeKiB`: minified index.js. `loadMs`: `require()` of the bundle in a fresh Node process with
 * --enable-source-maps (the cold-start share we own). On an idle machine wall time and CPU time
 * of a require are the same; the test checks CPU time, which a busy CI machine does not inflate,
 * and `npm run bench` reports both.
 */
export const BUNDLE_BUDGETS: Readonly<Record<string, { readonly codeKiB: number; readonly loadMs: number }>> =
  {
    authorizer: { codeKiB: 44, loadMs: 35 },
    'metrics-publisher': { codeKiB: 505, loadMs: 85 },
    'order-events': { codeKiB: 512, loadMs: 90 },
    orders: { codeKiB: 525, loadMs: 200 },
    products: { codeKiB: 502, loadMs: 190 },
    'slack-notifier': { codeKiB: 493, loadMs: 155 },
    users: { codeKiB: 515, loadMs: 175 },
  };

/** All functions, one esbuild call (issue 7): per synth, on an idle 2-core machine. */
export const BUNDLING_BUDGET_MS = 500;
