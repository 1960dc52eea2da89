/**
 * Budgets of the Lambda bundles, so a dependency or an import that bloats a function fails
 * `npm test` (bundle-budget.test.ts); `npm run bench` reports the measurements next to them.
 *
 * `codeKiB`: minified index.js, about 5 % above today's size (deterministic, so kept tight).
 * `loadMs`: `require()` of the bundle in a fresh Node process with --enable-source-maps, the
 * cold-start share that is ours. Set a little above the medians measured on a busy 2-core machine
 * (Node 20), where load times run up to 1.8x their idle values; the test takes the fastest of 5
 * runs in CPU time, so a busy CI machine does not fail it, while a real regression (a dependency
 * that doubles the load) does. Tighten both from `npm run bench` on an idle machine.
 */
export const BUNDLE_BUDGETS: Readonly<Record<string, { readonly codeKiB: number; readonly loadMs: number }>> =
  {
    authorizer: { codeKiB: 44, loadMs: 40 },
    // The Custom::ApiCanaryUser provider: Powertools Logger; its load is the two SDK clients (NODE_PATH).
    'canary-user': { codeKiB: 29, loadMs: 180 },
    // The pipeline's delivery-metrics function (lib/pipeline/delivery-metrics.ts): zod and Powertools.
    'delivery-metrics': { codeKiB: 510, loadMs: 220 },
    'metrics-publisher': { codeKiB: 505, loadMs: 110 },
    'order-events': { codeKiB: 512, loadMs: 115 },
    orders: { codeKiB: 525, loadMs: 250 },
    products: { codeKiB: 502, loadMs: 230 },
    'slack-notifier': { codeKiB: 493, loadMs: 210 },
    users: { codeKiB: 515, loadMs: 240 },
  };

/** All functions, one esbuild call (issue 7): per synth, on an idle 2-core machine. */
export const BUNDLING_BUDGET_MS = 500;
