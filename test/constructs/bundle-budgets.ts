/**
 * Budgets of the Lambda bundles, so a dependency or an import that bloats a function fails
 * `npm test` (bundle-budget.test.ts); `npm run bench` reports the measurements next to them.
 *
 * `codeKiB`: minified index.js, about 5 % above today's size (deterministic, so kept tight).
 * `loadMs`: `require()` of the bundle in a fresh Node process with --enable-source-maps, the
 * cold-start share that is ours: about twice the idle CPU medians of `npm run bench`
 * (bench/results.md, 2-core machine, Node 20). The test takes the fastest of 3 runs in CPU time,
 * which a busy machine (jest's other worker, DynamoDB Local) inflates far less than 2x, while a
 * real regression (a dependency that doubles the load) fails it.
 */
export const BUNDLE_BUDGETS: Readonly<Record<string, { readonly codeKiB: number; readonly loadMs: number }>> =
  {
    authorizer: { codeKiB: 44, loadMs: 35 },
    // The Custom::ApiCanaryUser provider: Powertools Logger; its load is the two SDK clients (NODE_PATH).
    'canary-user': { codeKiB: 29, loadMs: 140 },
    // The pipeline's delivery-metrics function (lib/pipeline/delivery-metrics.ts): zod and Powertools.
    'delivery-metrics': { codeKiB: 510, loadMs: 160 },
    'metrics-publisher': { codeKiB: 505, loadMs: 70 },
    'order-events': { codeKiB: 512, loadMs: 70 },
    orders: { codeKiB: 525, loadMs: 180 },
    products: { codeKiB: 502, loadMs: 170 },
    'slack-notifier': { codeKiB: 493, loadMs: 145 },
    users: { codeKiB: 515, loadMs: 170 },
  };

/** All functions, one esbuild call (issue 7): per synth, on an idle 2-core machine. */
export const BUNDLING_BUDGET_MS = 500;
