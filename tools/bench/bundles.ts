import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFunctionBundles, type FunctionBundles } from '../lib/constructs/function-bundles';
import { measureModuleLoad } from '../test/constructs/support/module-load';
import { summarize, type Summary } from './lib/stats';

export interface LoadSummary {
  readonly wall: Summary;
  readonly cpu: Summary;
}

export interface BundleBench {
  /** Each in a fresh process (bench/bundle-once.ts): one esbuild call for all functions, outputs written and hashed. */
  readonly buildMs: Summary;
  readonly bundles: FunctionBundles;
  /** The same, the AWS SDK bundled too: the alternative the SDK decision was measured against. */
  readonly sdkBundled: FunctionBundles;
  readonly loads: Readonly<Record<string, LoadSummary>>;
  readonly sdkBundledLoads: Readonly<Record<string, LoadSummary>>;
}

export interface BundleBenchOptions {
  readonly buildRuns: number;
  readonly loadRuns: number;
  readonly sdkLoadRuns: number;
  readonly progress: (message: string) => void;
}

function loadSummary(file: string, runs: number): LoadSummary {
  const samples = measureModuleLoad(file, runs);
  return {
    wall: summarize(samples.map((sample) => sample.wallMs)),
    cpu: summarize(samples.map((sample) => sample.cpuMs)),
  };
}

/** Functions whose bundle imports the (external) AWS SDK. */
export function usesSdk(bundles: FunctionBundles, name: string): boolean {
  const bundle = bundles.functions[name];
  return (
    bundle !== undefined &&
    fs.readFileSync(path.join(bundle.dir, 'index.js'), 'utf8').includes('require("@aws-sdk/')
  );
}

export function runBundleBench(options: BundleBenchOptions): BundleBench {
  const times: number[] = [];
  for (let i = 0; i < options.buildRuns; i++) {
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'bundle-once.ts')],
      {
        encoding: 'utf8',
      }
    );
    const { durationMs } = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { durationMs: number };
    times.push(durationMs);
    options.progress(`bundle ${i + 1}/${options.buildRuns}: ${durationMs.toFixed(0)} ms`);
  }
  // The bundles the other measurements use (this process's own esbuild call).
  const bundles = buildFunctionBundles();
  const sdkBundled = buildFunctionBundles({ external: [] });

  const loads: Record<string, LoadSummary> = {};
  const sdkBundledLoads: Record<string, LoadSummary> = {};
  for (const name of Object.keys(bundles.functions)) {
    loads[name] = loadSummary(path.join(bundles.functions[name]!.dir, 'index.js'), options.loadRuns);
    options.progress(`load ${name}: median ${loads[name].wall.median.toFixed(0)} ms wall`);
    if (usesSdk(bundles, name) && options.sdkLoadRuns > 0) {
      sdkBundledLoads[name] = loadSummary(
        path.join(sdkBundled.functions[name]!.dir, 'index.js'),
        options.sdkLoadRuns
      );
    }
  }
  return { buildMs: summarize(times), bundles, sdkBundled, loads, sdkBundledLoads };
}

/** The bench owns the build folders it asked for. */
export function removeBundles(bench: BundleBench): void {
  for (const bundles of [bench.bundles, bench.sdkBundled])
    fs.rmSync(bundles.outdir, { recursive: true, force: true });
}
