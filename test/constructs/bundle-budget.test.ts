import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildFunctionBundles,
  functionNames,
  type FunctionBundles,
} from '../../lib/constructs/function-bundles';
import { BUNDLE_BUDGETS } from './bundle-budgets';
import { measureModuleLoad } from './support/module-load';

/**
 * Fresh processes per function (`npm run bench` reports the median of 20; this stays quick): the
 * budgets sit about twice above the idle CPU medians, so the fastest of 3 is a stable check.
 */
const RUNS = 3;

let bundles: FunctionBundles;
beforeAll(() => {
  bundles = buildFunctionBundles();
});
afterAll(() => fs.rmSync(bundles.outdir, { recursive: true, force: true }));

describe.each(functionNames())('%s', (name) => {
  const budget = BUNDLE_BUDGETS[name];

  test('has a budget', () => {
    expect(budget).toBeDefined();
  });

  test('minified size within budget', () => {
    expect(bundles.functions[name]!.codeBytes / 1024).toBeLessThanOrEqual(budget!.codeKiB);
  });

  test(`loads in a fresh Node process within budget (fastest of ${RUNS}, CPU time)`, () => {
    const samples = measureModuleLoad(path.join(bundles.functions[name]!.dir, 'index.js'), RUNS);
    // The least disturbed run, in CPU time: a busy machine inflates the others, not the code.
    expect(Math.min(...samples.map((sample) => sample.cpuMs))).toBeLessThanOrEqual(budget!.loadMs);
  });
});
