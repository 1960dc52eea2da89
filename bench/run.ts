/**
 * `npm run bench` (= `tsx bench/run.ts`): issue 7's measurements in one run, no AWS account.
 * Prints a Markdown report and writes it to bench/results.md; logs and assemblies go to
 * cdk.out.bench/ (git-ignored). Options: --reps=N (synth runs per variant, default 3),
 * --load-runs=N (20), --requests=N (1000), --concurrency=N (50), --only=a,b / --skip=a,b with
 * sections gnu-time, bundles, synth, latency, jest; --variants=floor,full,... to run some synth
 * variants only (floor, bundling, validation, full, ts-node, cli).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { BUNDLE_BUDGETS, BUNDLING_BUDGET_MS } from '../test/constructs/bundle-budgets';
import { QUIET_SDK } from '../test/constructs/support/module-load';
import { type BundleBench, removeBundles, runBundleBench, usesSdk } from './bundles';
import { checkGnuTime, type GnuTimeCheck } from './gnu-time';
import { runJestBench, type CommandRun } from './jest';
import { type LatencyBench, runLatencyBench } from './latency';
import { kibibytes, mebibytes, millis, Report, seconds, summaryCells, times, verdict } from './lib/report';
import { ratio } from './lib/stats';
import { pipelineShape, type PipelineShape } from './pipeline';
import {
  failureNote,
  runSynth,
  type SynthRun,
  SYNTH_VARIANTS,
  type SynthVariantSummary,
  summarizeSynth,
} from './synth';

const PROJECT_ROOT = path.join(__dirname, '..');
const WORK_ROOT = path.join(PROJECT_ROOT, 'cdk.out.bench');
const LOG_ROOT = path.join(WORK_ROOT, 'logs');
const RESULTS_FILE = path.join(__dirname, 'results.md');
const SECTIONS = ['gnu-time', 'bundles', 'synth', 'latency', 'jest'] as const;
type Section = (typeof SECTIONS)[number];

interface Options {
  readonly reps: number;
  readonly loadRuns: number;
  readonly sdkLoadRuns: number;
  readonly buildRuns: number;
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly sections: ReadonlySet<Section>;
  /** Synth variants to run (ids); the ladder and ratios need all of them. */
  readonly variants: ReadonlySet<string>;
}

function parseOptions(argv: readonly string[]): Options {
  const values = new Map(
    argv.map((arg) => {
      const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
      if (!match) throw new Error(`unknown argument ${arg} (see the header of bench/run.ts)`);
      return [match[1]!, match[2] ?? 'true'] as const;
    })
  );
  const number = (name: string, fallback: number) => {
    const value = values.get(name);
    const parsed = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a whole number`);
    return parsed;
  };
  const list = (name: string) => (values.get(name)?.split(',') ?? []).filter(Boolean);
  for (const name of [...list('only'), ...list('skip')]) {
    if (!(SECTIONS as readonly string[]).includes(name))
      throw new Error(`unknown section ${name}: ${SECTIONS.join(', ')}`);
  }
  const only = list('only');
  const skip = list('skip');
  return {
    reps: Math.max(1, number('reps', 3)),
    loadRuns: Math.max(1, number('load-runs', 20)),
    sdkLoadRuns: number('sdk-load-runs', 10),
    buildRuns: Math.max(1, number('build-runs', 5)),
    requests: Math.max(1, number('requests', 1000)),
    concurrency: Math.max(1, number('concurrency', 50)),
    warmup: number('warmup', 100),
    sections: new Set(SECTIONS.filter((s) => (only.length === 0 || only.includes(s)) && !skip.includes(s))),
    variants: new Set(
      list('variants').length > 0 ? list('variants') : [...SYNTH_VARIANTS.map((v) => v.id), 'cli']
    ),
  };
}

const startedAt = Date.now();
function progress(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '?';
  }
}

/** How AppFunction bundles today: the numbers mean different things before and after the switch. */
function appFunctionBundling(): string {
  const source = fs.readFileSync(path.join(PROJECT_ROOT, 'lib', 'constructs', 'app-function.ts'), 'utf8');
  if (source.includes('functionCode(')) return 'shared bundle (lib/constructs/bundle.ts: one esbuild call)';
  if (source.includes('NodejsFunction')) return 'NodejsFunction (one esbuild process per function)';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------

function synthSection(
  report: Report,
  options: Options
): { summaries: SynthVariantSummary[]; fullOutdir?: string } {
  const runs: SynthRun[] = [];
  const outRoot = path.join(WORK_ROOT, 'synth');
  fs.rmSync(outRoot, { recursive: true, force: true });
  const cli = {
    id: 'cli',
    label: 'the CLI alone (`--app` a ready assembly: no app process)',
    env: {},
    noValidation: false,
  };
  const keep = new Set<string>();
  // Round robin, so a change in machine load during the run hits every variant alike.
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const variant of [...SYNTH_VARIANTS, cli].filter((v) => options.variants.has(v.id))) {
      const floor = runs.find((run) => run.variant === 'floor' && run.exitCode === 0);
      if (variant === cli && !floor) continue;
      const run = runSynth({
        projectRoot: PROJECT_ROOT,
        outRoot,
        logRoot: LOG_ROOT,
        variant,
        rep,
        ...(variant === cli && floor ? { assemblyApp: floor.outdir } : {}),
      });
      runs.push(run);
      progress(
        `synth ${variant.id} ${rep}/${options.reps}: ${run.wallS.toFixed(1)} s, ${mebibytes(run.maxRssKb)}, exit ${run.exitCode}`
      );
      if (rep === 1 && (variant.id === 'full' || variant.id === 'floor')) keep.add(run.outdir);
      else if (variant !== cli) fs.rmSync(run.outdir, { recursive: true, force: true });
    }
  }
  const summaries = [...SYNTH_VARIANTS, cli].map((variant) =>
    summarizeSynth(
      variant,
      runs.filter((run) => run.variant === variant.id)
    )
  );
  const by = (id: string) => summaries.find((summary) => summary.variant.id === id)!;
  const [floor, bundling, validation, full, tsNode, cliOnly] = [
    'floor',
    'bundling',
    'validation',
    'full',
    'ts-node',
    'cli',
  ].map(by) as [
    SynthVariantSummary,
    SynthVariantSummary,
    SynthVariantSummary,
    SynthVariantSummary,
    SynthVariantSummary,
    SynthVariantSummary,
  ];

  report.heading(
    `1-2. \`npx cdk synth\` (pipeline + 3 stages): ${options.reps} run(s) per variant, round robin`
  );
  report.paragraph(
    'Wall time and peak memory from `/usr/bin/time -f "%e %M"` around `npx cdk synth` (fresh output folder per run). ' +
      '%M is the peak RSS of the largest single process of the tree (the app), see the GNU time check. ' +
      "In-app columns are aws-cdk-lib's own performance counters (median): Load = importing the app, " +
      'Construction = building the construct tree (includes bundling), validateTemplates = validation plugins.'
  );
  const counter = (summary: SynthVariantSummary, key: string) => summary.counters[key] ?? Number.NaN;
  report.table(
    [
      'variant',
      'wall median',
      'min',
      'max',
      'peak RSS (median / max)',
      'app: Load',
      'Construction',
      'Synthesis',
      'validateTemplates',
    ],
    summaries.map((summary) => [
      summary.variant.label,
      ...summaryCells(summary.wall, seconds),
      `${mebibytes(summary.rss.median)} / ${mebibytes(summary.rss.max)}`,
      millis(counter(summary, 'phase:Load')),
      millis(counter(summary, 'phase:Construction')),
      millis(counter(summary, 'phase:Synthesis')),
      millis(counter(summary, 'validateTemplates')),
    ])
  );

  const delta = (a: SynthVariantSummary, b: SynthVariantSummary) => a.wall.median - b.wall.median;
  const cfnValidate = counter(validation, 'CloudFormationValidate.validate');
  const cfnValidateCount = counter(validation, 'CloudFormationValidate.validate(cnt)');
  const templates = validation.runs[0]?.templates ?? Number.NaN;
  const nodejsBundles = counter(bundling, 'bundle:NodejsFunction(cnt)');
  const sharedAssets = counter(bundling, 'bundle:AppFunction(cnt)');
  /** A counter's step: its median in `a` minus its median in `b`, the variant below on the ladder. */
  const counterDelta = (a: SynthVariantSummary, b: SynthVariantSummary, key: string) =>
    counter(a, key) - counter(b, key);
  const inApp = (a: SynthVariantSummary, b: SynthVariantSummary) =>
    `app phases +${millis(counterDelta(a, b, 'phase:Construction') + counterDelta(a, b, 'phase:Synthesis'))}`;
  report.paragraph(
    'Itemised: each step switched on alone, on top of the previous one (differences of medians).'
  );
  report.table(
    ['step', 'adds (wall)', 'in-app evidence', 'done once?'],
    [
      [
        'floor (construct + synthesize, CLI, tsx)',
        seconds(floor.wall.median),
        `of which the CLI alone: ${seconds(cliOnly.wall.median)}`,
        '',
      ],
      [
        'bundling',
        seconds(delta(bundling, floor)),
        `${inApp(bundling, floor)}; ` +
          (Number.isFinite(nodejsBundles)
            ? `NodejsFunction: ${nodejsBundles} esbuild processes, ${millis(counter(bundling, 'bundle:NodejsFunction'))}`
            : `shared bundle: 1 esbuild call, then ${sharedAssets} assets linked in ${millis(counter(bundling, 'bundle:AppFunction'))}`),
        Number.isFinite(nodejsBundles)
          ? `once per function (${nodejsBundles} for ${nodejsBundles * 3} functions in 3 stages: the CDK's asset cache)`
          : `yes: one esbuild call per process (test/constructs/bundle.test.ts), ${sharedAssets} assets for ${sharedAssets * 3} functions`,
      ],
      [
        'CloudFormation validation (`--no-validation` off)',
        seconds(delta(validation, bundling)),
        `${inApp(validation, bundling)}: validateTemplates +${millis(counterDelta(validation, bundling, 'validateTemplates'))} ` +
          `(engine start-up, then CloudFormationValidate.validate ${millis(cfnValidate)} for ${cfnValidateCount} templates); the rest is the CLI's metadata check`,
        `${cfnValidateCount === templates ? 'yes' : 'NO'}: ${cfnValidateCount} validations for ${templates} templates`,
      ],
      [
        'cdk-nag gate (AwsSolutions + Serverless packs)',
        seconds(delta(full, validation)),
        `${inApp(full, validation)}: validateTemplates +${millis(counterDelta(full, validation, 'validateTemplates'))}`,
        'by construction: 2 packs registered once on the App, each invoked once with all templates (not visible in the assembly)',
      ],
      ['= full', seconds(full.wall.median), '', ''],
    ]
  );
  const speedup = ratio(tsNode.wall.median, full.wall.median);
  const overFloor = ratio(full.wall.median, floor.wall.median);
  report.table(
    ['target', 'measured', 'result'],
    [
      [
        '1. full synth ≥ 3x faster than under ts-node',
        `${times(speedup)} (${seconds(tsNode.wall.median)} / ${seconds(full.wall.median)})`,
        verdict(speedup >= 3),
      ],
      [
        '1. peak memory (largest process)',
        `tsx ${mebibytes(full.rss.median)}, ts-node ${mebibytes(tsNode.rss.median)}`,
        'reported',
      ],
      [
        '2. full synth within 2x of the floor',
        `${times(overFloor)} (${seconds(full.wall.median)} / ${seconds(floor.wall.median)})`,
        verdict(overFloor <= 2),
      ],
      [
        '3. bundling per synth < 0.5 s (ladder difference)',
        seconds(delta(bundling, floor)),
        verdict(delta(bundling, floor) < BUNDLING_BUDGET_MS / 1000),
      ],
    ]
  );
  const failed = runs.filter((run) => run.exitCode !== 0);
  if (failed.length > 0) {
    report.paragraph(
      `**${failed.length} synth run(s) exited non-zero** (their times are still counted):\n\n\`\`\`\n${failed
        .slice(0, 3)
        .map(failureNote)
        .join('\n\n')}\n\`\`\``
    );
  }
  for (const run of runs) if (!keep.has(run.outdir)) fs.rmSync(run.outdir, { recursive: true, force: true });
  const fullRun = full.runs.find((run) => keep.has(run.outdir));
  return { summaries, ...(fullRun ? { fullOutdir: fullRun.outdir } : {}) };
}

function bundlesSection(report: Report, bench: BundleBench, options: Options): void {
  report.heading('3. Bundling: all functions, one esbuild call (lib/constructs/bundle.ts)');
  report.table(
    ['measure', 'median', 'min', 'max', 'n', 'budget', 'result'],
    [
      [
        'buildFunctionBundles (esbuild + writing outputs)',
        ...summaryCells(bench.buildMs, millis),
        String(bench.buildMs.n),
        millis(BUNDLING_BUDGET_MS),
        verdict(bench.buildMs.median < BUNDLING_BUDGET_MS),
      ],
    ]
  );

  report.heading(
    `5. Lambda bundles: size and module load (fresh Node process, median of ${options.loadRuns})`
  );
  report.paragraph(
    "Load = `require()` of index.js with NODE_OPTIONS=--enable-source-maps (as deployed), the functions' environment and " +
      `the AWS SDK on NODE_PATH, Node ${process.version} (Lambda runs Node 24). Wall on an idle machine ≈ CPU; ` +
      'the budget test (test/constructs/bundle-budget.test.ts) checks CPU time, median of 5.'
  );
  const rows = Object.values(bench.bundles.functions).map((bundle) => {
    const budget = BUNDLE_BUDGETS[bundle.name];
    const load = bench.loads[bundle.name]!;
    const sizeOk = budget !== undefined && bundle.codeBytes <= budget.codeKiB * 1024;
    const loadOk = budget !== undefined && load.cpu.median <= budget.loadMs;
    return [
      bundle.name,
      kibibytes(bundle.codeBytes),
      budget ? `${budget.codeKiB} KiB` : 'none',
      kibibytes(bundle.sourceMapBytes),
      ...summaryCells(load.wall, (v) => millis(v)),
      millis(load.cpu.median),
      budget ? millis(budget.loadMs) : 'none',
      verdict(sizeOk && loadOk),
    ];
  });
  report.table(
    [
      'function',
      'index.js',
      'budget',
      'index.js.map',
      'load wall median',
      'min',
      'max',
      'load CPU median',
      'load budget',
      'result',
    ],
    rows
  );
  const sdkRows = Object.keys(bench.sdkBundledLoads).map((name) => {
    const shipped = bench.bundles.functions[name]!;
    const alt = bench.sdkBundled.functions[name]!;
    return [
      name,
      `${kibibytes(shipped.codeBytes)} → ${kibibytes(alt.codeBytes)}`,
      `${kibibytes(shipped.sourceMapBytes)} → ${kibibytes(alt.sourceMapBytes)}`,
      `${millis(bench.loads[name]!.wall.median)} → ${millis(bench.sdkBundledLoads[name]!.wall.median)}`,
      `${millis(bench.loads[name]!.cpu.median)} → ${millis(bench.sdkBundledLoads[name]!.cpu.median)}`,
    ];
  });
  if (sdkRows.length > 0) {
    report.paragraph(
      `The SDK decision (external, the runtime's copy): shipped → "SDK bundled" alternative, load median of ${options.sdkLoadRuns}. ` +
        `Functions without the SDK: ${Object.keys(bench.bundles.functions)
          .filter((name) => !usesSdk(bench.bundles, name))
          .join(', ')}.`
    );
    report.table(['function (uses the SDK)', 'index.js', 'index.js.map', 'load wall', 'load CPU'], sdkRows);
  }
}

function latencySection(report: Report, bench: LatencyBench, options: Options): void {
  report.heading('6. Handler latency against DynamoDB Local');
  report.paragraph(
    "The deployed bundles' handlers (products, orders) called in-process with API Gateway proxy events, interleaved request by " +
      'request with the same DynamoDB operations issued with the bare SDK (low-level client): GET = GetItem; POST /v1/orders ' +
      '(with an Idempotency-Key) = GetItem of the idempotency record + BatchGetItem of the product + the TransactWriteItems ' +
      `(Put order, Put idempotency record, Update stock). ${options.requests} requests sequentially and ${options.requests} with ` +
      `${options.concurrency} in flight (one Node process: like ${options.concurrency} callers, not ${options.concurrency} Lambda ` +
      `containers), after ${options.warmup} warm-up requests. LOG_LEVEL=INFO; order events are logged (no queue).`
  );
  report.table(
    [
      'route | mode',
      'n',
      'handler p50',
      'handler p99',
      'bare SDK p50',
      'bare SDK p99',
      'handler overhead p50',
      'p99',
      'req/s',
    ],
    bench.rows.map((row) => [
      ...row.scenario.split('\t'),
      String(row.requests),
      millis(row.handler.p50, 2),
      millis(row.handler.p99, 2),
      millis(row.bare.p50, 2),
      millis(row.bare.p99, 2),
      millis(row.handler.p50 - row.bare.p50, 2),
      millis(row.handler.p99 - row.bare.p99, 2),
      row.throughput.toFixed(0),
    ])
  );
  if (bench.failures.length > 0) report.paragraph(`**Unexpected responses:** ${bench.failures.join('; ')}`);
}

function jestSection(report: Report, runs: readonly CommandRun[]): void {
  const [tsc, isolated, typecheck] = runs as [CommandRun, CommandRun, CommandRun];
  report.heading('4. `npm test` vs ts-jest type-checking (1 run each, cold jest cache)');
  report.table(
    ['command', 'wall', 'peak RSS', 'exit', 'suites', 'tests'],
    runs.map((run) => [
      `${run.label}: \`${run.command}\``,
      seconds(run.wallS),
      mebibytes(run.maxRssKb),
      String(run.exitCode),
      run.counts?.suites ?? '',
      run.counts?.tests ?? '',
    ])
  );
  const npmTest = tsc.wallS + isolated.wallS;
  const speedup = ratio(typecheck.wallS, npmTest);
  const sameSuites = isolated.counts?.suites === typecheck.counts?.suites;
  report.table(
    ['target', 'measured', 'result'],
    [
      [
        '4. `npm test` (tsc + jest) ≥ 2x faster than jest with type-checking',
        `${times(speedup)} (${seconds(typecheck.wallS)} / ${seconds(npmTest)}); jest alone ${times(ratio(typecheck.wallS, isolated.wallS))}`,
        verdict(speedup >= 2),
      ],
      [
        'same suites in both',
        `${isolated.counts?.suites ?? '?'} vs ${typecheck.counts?.suites ?? '?'}`,
        verdict(sameSuites),
      ],
    ]
  );
  if (runs.some((run) => run.exitCode !== 0)) {
    report.paragraph(
      'A command exited non-zero (failing tests or type errors in the working tree): see cdk.out.bench/logs/.'
    );
  }
}

function pipelineSection(report: Report, shape: PipelineShape, source: string): void {
  report.heading(`7. Pipeline shape (${source})`);
  report.table(
    ['stages', 'actions', 'CodeBuild projects', 'CodeBuild actions', 'asset publishing'],
    [
      [
        String(shape.stages.length),
        String(shape.actions),
        String(shape.codeBuildProjects),
        String(shape.codeBuildActions),
        shape.assetPublishing,
      ],
    ]
  );
  report.paragraph(
    `Actions per stage: ${shape.stages.map((stage) => `${stage.name} ${stage.actions}`).join(', ')}.`
  );
}

function gnuTimeSection(report: Report, check: GnuTimeCheck): void {
  report.heading('GNU time %M check');
  report.table(
    ['process tree', '%M'],
    check.rows.map((row) => [row.what, mebibytes(row.maxRssKb)])
  );
  report.paragraph(check.conclusion);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  Object.assign(process.env, QUIET_SDK); // this process creates the latency table with the SDK
  fs.mkdirSync(LOG_ROOT, { recursive: true });
  const report = new Report();
  const load = os.loadavg();
  report.paragraph('# Benchmark (issue 7)');
  report.paragraph(
    [
      `Run ${new Date().toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, ` +
        `load average at start ${load.map((l) => l.toFixed(1)).join(' / ')}.`,
      `Commit ${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain']) ? ' + uncommitted changes' : ''}; ` +
        `AppFunction bundles with: ${appFunctionBundling()}.`,
      `Repetitions: synth ${options.reps} per variant, bundling ${options.buildRuns}, module load ${options.loadRuns} ` +
        `(SDK-bundled alternative ${options.sdkLoadRuns}), jest 1 per variant, latency ${options.requests} requests ` +
        `(sequential and ${options.concurrency} concurrent). Sections: ${[...options.sections].join(', ')}.`,
    ].join('\n')
  );

  if (options.sections.has('gnu-time')) {
    progress('GNU time check');
    gnuTimeSection(report, checkGnuTime(LOG_ROOT));
  }
  let bundles: BundleBench | undefined;
  if (options.sections.has('bundles') || options.sections.has('latency')) {
    progress('bundles');
    bundles = runBundleBench({
      buildRuns: options.sections.has('bundles') ? options.buildRuns : 1,
      loadRuns: options.sections.has('bundles') ? options.loadRuns : 1,
      sdkLoadRuns: options.sections.has('bundles') ? options.sdkLoadRuns : 0,
      progress,
    });
    if (options.sections.has('bundles')) bundlesSection(report, bundles, options);
  }
  let fullOutdir: string | undefined;
  if (options.sections.has('synth')) {
    fullOutdir = synthSection(report, options).fullOutdir;
  }
  const assembly = fullOutdir ?? path.join(PROJECT_ROOT, 'cdk.out');
  if (fs.existsSync(path.join(assembly, 'PipelineStack.template.json'))) {
    pipelineSection(
      report,
      pipelineShape(assembly),
      path.relative(PROJECT_ROOT, path.join(assembly, 'PipelineStack.template.json'))
    );
  }
  if (options.sections.has('latency') && bundles) {
    progress('latency (DynamoDB Local)');
    latencySection(
      report,
      await runLatencyBench({
        projectRoot: PROJECT_ROOT,
        workRoot: WORK_ROOT,
        logRoot: LOG_ROOT,
        bundlesDir: bundles.bundles.outdir,
        requests: options.requests,
        concurrency: options.concurrency,
        warmup: options.warmup,
      }),
      options
    );
  }
  if (options.sections.has('jest')) {
    progress('jest (tsc, jest transpile-only, jest type-checking)');
    jestSection(report, runJestBench({ projectRoot: PROJECT_ROOT, workRoot: WORK_ROOT, logRoot: LOG_ROOT }));
  }

  if (bundles) removeBundles(bundles);
  report.paragraph(
    `Finished in ${((Date.now() - startedAt) / 1000).toFixed(0)} s; load average at end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}. Logs: cdk.out.bench/logs/.`
  );
  // Formatted as `npm run lint` (prettier --check .) expects the committed file to be.
  const config = (await prettier.resolveConfig(RESULTS_FILE)) ?? {};
  const text = await prettier.format(report.toString(), { ...config, filepath: RESULTS_FILE });
  fs.writeFileSync(RESULTS_FILE, text);
  process.stdout.write(text);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
