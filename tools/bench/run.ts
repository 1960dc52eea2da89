/**
 * `npm run bench` (= `tsx bench/run.ts`): issue 7's measurements in one run, no AWS account.
 * Prints a Markdown report and writes it to bench/results.md; logs and assemblies go to
 * cdk.out.bench/ (git-ignored). See bench/README.md for the options.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { type ValidationStats } from '../lib/compliance/cloudformation-validation';
import { BUNDLE_BUDGETS, BUNDLING_BUDGET_MS } from '../test/constructs/bundle-budgets';
import { QUIET_SDK } from '../test/constructs/support/module-load';
import { type BundleBench, removeBundles, runBundleBench, usesSdk } from './bundles';
import { checkGnuTime } from './gnu-time';
import { type CommandRun, runJestBench } from './jest';
import { type LatencyBench, runLatencyBench } from './latency';
import { kibibytes, mebibytes, millis, Report, seconds, summaryCells, times, verdict } from './lib/report';
import { ratio, summarize } from './lib/stats';
import { pipelineShape } from './pipeline';
import {
  failureNote,
  runSynth,
  SYNTH_VARIANTS,
  type SynthRun,
  type SynthVariant,
  type SynthVariantSummary,
  summarizeSynth,
} from './synth';

const PROJECT_ROOT = path.join(__dirname, '..');
const WORK_ROOT = path.join(PROJECT_ROOT, 'cdk.out.bench');
const LOG_ROOT = path.join(WORK_ROOT, 'logs');
const RESULTS_FILE = path.join(__dirname, 'results.md');
const SECTIONS = ['synth', 'bundles', 'jest', 'latency', 'gnu-time'] as const;
type Section = (typeof SECTIONS)[number];

const CLI_ONLY: SynthVariant = {
  id: 'cli',
  label: 'the CLI alone (`--app` a ready assembly: no app process)',
  env: {},
  noValidation: false,
};
const ALL_VARIANTS = [...SYNTH_VARIANTS, CLI_ONLY];

interface Options {
  readonly reps: number;
  readonly buildRuns: number;
  readonly loadRuns: number;
  readonly sdkLoadRuns: number;
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly sections: ReadonlySet<Section>;
  /** Synth variants to run (the ladder and the ratios need all of them). */
  readonly variants: ReadonlySet<string>;
}

const NUMBER_OPTIONS = {
  reps: 3,
  'build-runs': 5,
  'load-runs': 20,
  'sdk-load-runs': 10,
  requests: 1000,
  concurrency: 50,
  warmup: 100,
} as const;
const LIST_OPTIONS = ['only', 'skip', 'variants'] as const;

function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([\w-]+)=(.*)$/.exec(arg);
    const name = match?.[1];
    if (!match || !name || !(name in NUMBER_OPTIONS || (LIST_OPTIONS as readonly string[]).includes(name))) {
      throw new Error(`unknown argument ${arg}: see bench/README.md`);
    }
    values.set(name, match[2] ?? '');
  }
  const number = (name: keyof typeof NUMBER_OPTIONS, min = 1) => {
    const parsed = Number(values.get(name) ?? NUMBER_OPTIONS[name]);
    if (!Number.isInteger(parsed) || parsed < min)
      throw new Error(`--${name} must be a whole number >= ${min}`);
    return parsed;
  };
  const list = (name: (typeof LIST_OPTIONS)[number], allowed: readonly string[]) => {
    const items = (values.get(name) ?? '').split(',').filter(Boolean);
    const unknown = items.filter((item) => !allowed.includes(item));
    if (unknown.length > 0)
      throw new Error(`--${name}: unknown ${unknown.join(', ')} (known: ${allowed.join(', ')})`);
    return items;
  };
  const only = list('only', SECTIONS);
  const skip = list('skip', SECTIONS);
  const variants = list(
    'variants',
    ALL_VARIANTS.map((variant) => variant.id)
  );
  return {
    reps: number('reps'),
    buildRuns: number('build-runs'),
    loadRuns: number('load-runs'),
    sdkLoadRuns: number('sdk-load-runs', 0),
    requests: number('requests'),
    concurrency: number('concurrency'),
    warmup: number('warmup', 0),
    sections: new Set(SECTIONS.filter((s) => (only.length === 0 || only.includes(s)) && !skip.includes(s))),
    variants: new Set(variants.length > 0 ? variants : ALL_VARIANTS.map((variant) => variant.id)),
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
  if (source.includes('functionCode('))
    return 'the shared bundle (lib/constructs/function-bundles.ts: one esbuild call)';
  if (source.includes('NodejsFunction')) return 'NodejsFunction (one esbuild process per function)';
  return 'unknown';
}

/** One line of the summary at the top: an issue target, what was measured, PASS/FAIL. */
type Target = readonly [target: string, measured: string, result: string];

// ---------------------------------------------------------------------------------------------

function synthSection(report: Report, targets: Target[], options: Options): string | undefined {
  const runs: SynthRun[] = [];
  const outRoot = path.join(WORK_ROOT, 'synth');
  fs.rmSync(outRoot, { recursive: true, force: true });
  const variants = ALL_VARIANTS.filter((variant) => options.variants.has(variant.id));
  const keep = new Set<string>();
  // The warm variants re-synthesize templates a synth has validated before: one untimed synth
  // fills the validation cache first (the cold variants neither read nor write it).
  const warmVariant = variants.find((variant) => variant.id === 'full-warm' || variant.id === 'ts-node-warm');
  if (warmVariant) {
    const priming = runSynth({
      projectRoot: PROJECT_ROOT,
      outRoot,
      logRoot: LOG_ROOT,
      variant: warmVariant,
      rep: 0,
    });
    progress(`synth: filled the validation cache (${priming.wallS.toFixed(1)} s, exit ${priming.exitCode})`);
    fs.rmSync(priming.outdir, { recursive: true, force: true });
  }
  // Round robin, so a change in machine load during the run hits every variant alike.
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const variant of variants) {
      const floorRun = runs.find((run) => run.variant === 'floor' && run.exitCode === 0);
      if (variant === CLI_ONLY && !floorRun) continue;
      const run = runSynth({
        projectRoot: PROJECT_ROOT,
        outRoot,
        logRoot: LOG_ROOT,
        variant,
        rep,
        ...(variant === CLI_ONLY && floorRun ? { assemblyApp: floorRun.outdir } : {}),
      });
      runs.push(run);
      progress(
        `synth ${variant.id} ${rep}/${options.reps}: ${run.wallS.toFixed(1)} s, ${mebibytes(run.maxRssKb)}, exit ${run.exitCode}`
      );
      // Kept: the first full assembly (pipeline shape) and the first floor (the CLI-only runs read it).
      if (rep === 1 && (variant.id === 'full' || variant.id === 'floor')) keep.add(run.outdir);
      else if (variant !== CLI_ONLY) fs.rmSync(run.outdir, { recursive: true, force: true });
    }
  }
  // The validation on its own, in fresh processes, over the first full synth's templates.
  const fullOut = runs.find((run) => run.variant === 'full' && run.exitCode === 0)?.outdir;
  const validationRuns = fullOut
    ? Array.from({ length: options.reps }, () => {
        const output = execFileSync(
          process.execPath,
          ['--import', 'tsx', path.join(__dirname, 'validation-once.ts'), fullOut],
          { encoding: 'utf8' }
        );
        return JSON.parse(output.trim().split('\n').pop() ?? '{}') as ValidationStats;
      })
    : [];
  const engineStart = summarize(validationRuns.map((stats) => stats.engineStartMs ?? Number.NaN));
  const validating = summarize(validationRuns.map((stats) => stats.validateMs));
  const validationRss = summarize(validationRuns.map((stats) => stats.maxRssKb));
  const validatedTemplates = validationRuns[0]?.templates ?? Number.NaN;
  const summaries = new Map(
    ALL_VARIANTS.map((variant) => [
      variant.id,
      summarizeSynth(
        variant,
        runs.filter((run) => run.variant === variant.id)
      ),
    ])
  );
  const by = (id: string): SynthVariantSummary => summaries.get(id)!;
  const [floor, bundling, validation, full, tsNode, fullWarm, tsNodeWarm, cliOnly] = [
    by('floor'),
    by('bundling'),
    by('validation'),
    by('full'),
    by('ts-node'),
    by('full-warm'),
    by('ts-node-warm'),
    by('cli'),
  ];
  const counter = (summary: SynthVariantSummary, key: string) => summary.counters[key] ?? Number.NaN;

  report.heading(
    `1-2. \`npx cdk synth\` (pipeline + 3 stages): ${options.reps} run(s) per variant, round robin`
  );
  report.paragraph(
    'Wall time and peak memory from `/usr/bin/time -f "%e %M"` around `npx cdk synth`, a fresh output folder per run. ' +
      '%M is the peak RSS of the largest single process of the tree, here the app (see the GNU time check). ' +
      "The app columns are aws-cdk-lib's own performance counters (medians): Load = importing the app, " +
      'Construction = building the construct tree (bundling happens here), validateTemplates = the validation plugins.'
  );
  report.table(
    [
      'variant',
      'wall median',
      'min',
      'max',
      'peak RSS median / max',
      'app: Load',
      'Construction',
      'Synthesis',
      'validateTemplates',
    ],
    [...summaries.values()]
      .filter((summary) => summary.runs.length > 0)
      .map((summary) => [
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
  /** A counter's step: its median in `a` minus its median in `b`, the variant below on the ladder. */
  const counterDelta = (a: SynthVariantSummary, b: SynthVariantSummary, key: string) =>
    counter(a, key) - counter(b, key);
  const inApp = (a: SynthVariantSummary, b: SynthVariantSummary) =>
    `app phases +${millis(counterDelta(a, b, 'phase:Construction') + counterDelta(a, b, 'phase:Synthesis'))}`;
  const templates = validation.runs[0]?.templates ?? Number.NaN;
  const nodejsBundles = counter(bundling, 'bundle:NodejsFunction(cnt)');
  const sharedAssets = counter(bundling, 'bundle:AppFunction(cnt)');
  report.paragraph('Itemised: the ladder switches one step on at a time (differences of the medians above).');
  report.table(
    ['step', 'adds (wall)', 'in the app', 'done once?'],
    [
      [
        'floor: construct + synthesize (CLI, tsx, no bundling, no validation, no nag)',
        seconds(floor.wall.median),
        `the CLI alone: ${seconds(cliOnly.wall.median)}`,
        '',
      ],
      [
        'bundling',
        seconds(delta(bundling, floor)),
        `${inApp(bundling, floor)}; ` +
          (Number.isFinite(nodejsBundles)
            ? `NodejsFunction: ${nodejsBundles} esbuild processes, ${millis(counter(bundling, 'bundle:NodejsFunction'))}`
            : `one esbuild call, then ${sharedAssets} assets linked in ${millis(counter(bundling, 'bundle:AppFunction'))}`),
        Number.isFinite(nodejsBundles)
          ? `once per function: ${nodejsBundles} bundles for ${nodejsBundles * 3} functions in 3 stages (the CDK's asset cache)`
          : `yes: one esbuild call per process (test/constructs/bundle.test.ts); ${sharedAssets} assets for ${sharedAssets * 3} functions in 3 stages`,
      ],
      [
        'CloudFormation validation (without `--no-validation`), every template',
        seconds(delta(validation, bundling)),
        `${inApp(validation, bundling)}: the app waited +${millis(counterDelta(validation, bundling, 'validateTemplates'))} ` +
          `in validateTemplates for the validation process. It starts its engine while the app loads and constructs, ` +
          `validates each stage's templates as soon as CDK Pipelines has written them, and the pipeline's template last. ` +
          `On its own (bench/validation-once.ts, median of ${validating.n}) it starts its engine in ` +
          `${millis(engineStart.median)} and validates all templates in ${millis(validating.median)}, peaking at ` +
          `${mebibytes(validationRss.median)} beside the app`,
        `${validatedTemplates === templates ? 'yes' : 'NO'}: ${validatedTemplates} of ${templates} templates, each once ` +
          '(validated ahead or with the job: test/compliance/cloudformation-validation.test.ts)',
      ],
      [
        'cdk-nag gate (AwsSolutions + Serverless packs)',
        seconds(delta(full, validation)),
        `${inApp(full, validation)}: validateTemplates +${millis(counterDelta(full, validation, 'validateTemplates'))}`,
        'by construction: the 2 packs are registered once, on the App, and each is invoked once with all templates',
      ],
      ['= full `npx cdk synth` (cold)', seconds(full.wall.median), '', ''],
      [
        'full again, templates unchanged (validation cache warm)',
        seconds(fullWarm.wall.median),
        `validateTemplates ${millis(counter(fullWarm, 'validateTemplates'))} (cold: ${millis(counter(full, 'validateTemplates'))})`,
        'not validated again: the findings of each template are cached under its bytes, stack, account, region and the engine version',
      ],
    ]
  );
  const failed = runs.filter((run) => run.exitCode !== 0);
  if (failed.length > 0) {
    report.paragraph(
      `**${failed.length} synth run(s) exited non-zero** (their times are counted):\n\n\`\`\`\n${failed
        .slice(0, 3)
        .map(failureNote)
        .join('\n\n')}\n\`\`\``
    );
  }

  const speedup = ratio(tsNode.wall.median, full.wall.median);
  const warmSpeedup = ratio(tsNodeWarm.wall.median, fullWarm.wall.median);
  const overFloor = ratio(full.wall.median, floor.wall.median);
  const bundlingStep = delta(bundling, floor);
  targets.push(
    [
      '1. full synth ≥ 3x faster than with the ts-node app command (cold: every template validated)',
      `${times(speedup)} (${seconds(tsNode.wall.median)} / ${seconds(full.wall.median)})`,
      verdict(speedup >= 3),
    ],
    [
      '1. the same for a re-synth with unchanged templates (validation cache warm in both)',
      `${times(warmSpeedup)} (${seconds(tsNodeWarm.wall.median)} / ${seconds(fullWarm.wall.median)})`,
      verdict(warmSpeedup >= 3),
    ],
    [
      '1. what 3x takes: the ts-node run is the same synth plus its type-checking',
      `type-checking adds ${seconds(delta(tsNode, full))}, so 3x needs a full synth of ` +
        `${seconds(tsNode.wall.median / 3)} or less (cold); the floor alone (no bundling, validation or nag) ` +
        `takes ${seconds(floor.wall.median)}, the CLI alone ${seconds(cliOnly.wall.median)}`,
      'reported',
    ],
    [
      '1. peak memory (largest single process; the validation process runs beside the app)',
      `tsx ${mebibytes(full.rss.median)}, ts-node ${mebibytes(tsNode.rss.median)}; the validation process ` +
        `alone ${mebibytes(validationRss.median)} (bench/validation-once.ts)`,
      'reported',
    ],
    [
      '2. full synth within 2x of the floor',
      `${times(overFloor)} (${seconds(full.wall.median)} / ${seconds(floor.wall.median)})`,
      verdict(overFloor <= 2),
    ],
    [
      '3. bundling < 0.5 s per synth (ladder step)',
      seconds(bundlingStep),
      verdict(bundlingStep < BUNDLING_BUDGET_MS / 1000),
    ]
  );
  return full.runs.find((run) => keep.has(run.outdir))?.outdir;
}

function bundlingSection(report: Report, targets: Target[], bench: BundleBench): void {
  report.heading('3. Bundling: all functions in one esbuild call (lib/constructs/function-bundles.ts)');
  report.paragraph(
    'Each run a fresh process (bench/bundle-once.ts), as in a synth: the first esbuild call also starts ' +
      "esbuild's worker thread and service process; the time covers writing and hashing the outputs."
  );
  report.table(
    ['measure', 'median', 'min', 'max', 'n', 'budget'],
    [
      [
        `buildFunctionBundles (${Object.keys(bench.bundles.functions).length} functions)`,
        ...summaryCells(bench.buildMs, millis),
        String(bench.buildMs.n),
        millis(BUNDLING_BUDGET_MS),
      ],
    ]
  );
  targets.push([
    '3. bundling < 0.5 s (one esbuild call, fresh process)',
    millis(bench.buildMs.median),
    verdict(bench.buildMs.median < BUNDLING_BUDGET_MS),
  ]);
}

function bundlesSection(report: Report, targets: Target[], bench: BundleBench, options: Options): void {
  report.heading(
    `5. Lambda bundles: size, and module load in a fresh Node process (median of ${options.loadRuns})`
  );
  report.paragraph(
    "Load = `require()` of index.js with `--enable-source-maps` (as AppFunction's NODE_OPTIONS), the functions' " +
      `environment and the AWS SDK on NODE_PATH, on Node ${process.version} (Lambda: Node 24). Result: size and ` +
      'the wall median against test/constructs/bundle-budgets.ts (the budget test itself checks the fastest of 5 ' +
      'runs in CPU time, which a busy machine inflates less; on an idle machine wall ≈ CPU).'
  );
  const failures: string[] = [];
  const rows = Object.values(bench.bundles.functions).map((bundle) => {
    const budget = BUNDLE_BUDGETS[bundle.name];
    const load = bench.loads[bundle.name]!;
    const ok =
      budget !== undefined && bundle.codeBytes <= budget.codeKiB * 1024 && load.wall.median <= budget.loadMs;
    if (!ok) failures.push(bundle.name);
    return [
      bundle.name,
      kibibytes(bundle.codeBytes),
      budget ? `${budget.codeKiB} KiB` : 'none',
      kibibytes(bundle.sourceMapBytes),
      ...summaryCells(load.wall, (value) => millis(value)),
      millis(load.cpu.median),
      budget ? millis(budget.loadMs) : 'none',
      verdict(ok),
    ];
  });
  report.table(
    [
      'function',
      'index.js',
      'budget',
      'index.js.map',
      'load median',
      'min',
      'max',
      'load CPU median',
      'load budget',
      'result',
    ],
    rows
  );
  targets.push([
    '5. every bundle within its size and load budget',
    failures.length === 0 ? `${rows.length} functions` : `over budget: ${failures.join(', ')}`,
    verdict(failures.length === 0),
  ]);

  const sdkUsers = Object.keys(bench.sdkBundledLoads);
  if (sdkUsers.length === 0) return;
  report.paragraph(
    `The SDK decision, re-measured: shipped (SDK external, the runtime's copy) → alternative (SDK bundled), load median of ${options.sdkLoadRuns}. ` +
      `Functions without the SDK: ${Object.keys(bench.bundles.functions)
        .filter((name) => !usesSdk(bench.bundles, name))
        .join(', ')}.`
  );
  report.table(
    ['function (uses the SDK)', 'index.js', 'index.js.map', 'load median', 'load CPU median'],
    sdkUsers.map((name) => {
      const shipped = bench.bundles.functions[name]!;
      const alternative = bench.sdkBundled.functions[name]!;
      return [
        name,
        `${kibibytes(shipped.codeBytes)} → ${kibibytes(alternative.codeBytes)}`,
        `${kibibytes(shipped.sourceMapBytes)} → ${kibibytes(alternative.sourceMapBytes)}`,
        `${millis(bench.loads[name]!.wall.median)} → ${millis(bench.sdkBundledLoads[name]!.wall.median)}`,
        `${millis(bench.loads[name]!.cpu.median)} → ${millis(bench.sdkBundledLoads[name]!.cpu.median)}`,
      ];
    })
  );
}

function jestSection(report: Report, targets: Target[], runs: readonly CommandRun[]): void {
  const [tsc, isolated, typecheck] = runs as [CommandRun, CommandRun, CommandRun];
  report.heading('4. `npm test` against ts-jest type-checking (1 run each, cold jest cache)');
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
  if (runs.some((run) => run.exitCode !== 0)) {
    report.paragraph(
      'A command exited non-zero (failing tests or type errors in the working tree): see cdk.out.bench/logs/.'
    );
  }
  const npmTest = tsc.wallS + isolated.wallS;
  const speedup = ratio(typecheck.wallS, npmTest);
  targets.push(
    [
      '4. `npm test` (type-check + jest) ≥ 2x faster than jest type-checking',
      `${times(speedup)} (${seconds(typecheck.wallS)} / ${seconds(npmTest)}); jest alone ${times(ratio(typecheck.wallS, isolated.wallS))}`,
      verdict(speedup >= 2),
    ],
    [
      '4. the same suites ran in both',
      `${isolated.counts?.suitesTotal ?? '?'} / ${typecheck.counts?.suitesTotal ?? '?'} suites`,
      verdict(isolated.counts !== undefined && isolated.counts.suitesTotal === typecheck.counts?.suitesTotal),
    ]
  );
}

function latencySection(report: Report, targets: Target[], bench: LatencyBench, options: Options): void {
  report.heading('6. Handler latency against DynamoDB Local');
  report.paragraph(
    "The deployed bundles' handlers (products, orders), called in-process with API Gateway proxy events, alternating " +
      'request by request with the same DynamoDB calls issued with the bare SDK (low-level client): GET = GetItem; ' +
      'POST /v1/orders (with an Idempotency-Key) = GetItem of the idempotency record, BatchGetItem of the product, ' +
      'then the TransactWriteItems (Put order, Put idempotency record, Update stock). ' +
      `${options.requests} requests one after the other, and ${options.requests} with ${options.concurrency} in flight ` +
      `(one Node process: ${options.concurrency} callers, not ${options.concurrency} Lambda containers), after ` +
      `${options.warmup} warm-up requests each. LOG_LEVEL=INFO; order events are logged (no queue). ` +
      'Overhead = handler − bare SDK (at p99 this difference is noisy and may be negative).'
  );
  report.table(
    [
      'route',
      'mode',
      'n',
      'handler p50',
      'handler p99',
      'bare SDK p50',
      'bare SDK p99',
      'overhead p50',
      'overhead p99',
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
  targets.push([
    '6. handler p50 / p99 and overhead',
    bench.rows
      .filter((row) => row.scenario.endsWith('sequential'))
      .map((row) => `${row.scenario.split('\t')[0]} +${millis(row.handler.p50 - row.bare.p50, 2)} at p50`)
      .join('; '),
    bench.failures.length === 0 ? 'reported' : 'FAIL (unexpected responses)',
  ]);
}

function pipelineSection(report: Report, targets: Target[], assemblyDir: string): void {
  const shape = pipelineShape(assemblyDir);
  report.heading(
    `7. Pipeline shape (${path.relative(PROJECT_ROOT, assemblyDir) || '.'}/PipelineStack.template.json)`
  );
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
  targets.push([
    '7. pipeline shape',
    `${shape.stages.length} stages, ${shape.actions} actions, ${shape.codeBuildProjects} CodeBuild projects`,
    'reported',
  ]);
}

function gnuTimeSection(report: Report): void {
  const check = checkGnuTime(LOG_ROOT);
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
  const targets: Target[] = [];
  const parts = { synth: new Report(), bundling: new Report(), jest: new Report(), bundles: new Report() };
  const more = { latency: new Report(), pipeline: new Report(), gnuTime: new Report() };
  const loadAtStart = os.loadavg();

  let fullAssembly: string | undefined;
  if (options.sections.has('synth')) fullAssembly = synthSection(parts.synth, targets, options);
  const assembly = fullAssembly ?? path.join(PROJECT_ROOT, 'cdk.out');
  if (fs.existsSync(path.join(assembly, 'PipelineStack.template.json')))
    pipelineSection(more.pipeline, targets, assembly);

  let bundles: BundleBench | undefined;
  if (options.sections.has('bundles') || options.sections.has('latency')) {
    progress('bundles');
    const measure = options.sections.has('bundles');
    bundles = runBundleBench({
      buildRuns: measure ? options.buildRuns : 1,
      loadRuns: measure ? options.loadRuns : 1,
      sdkLoadRuns: measure ? options.sdkLoadRuns : 0,
      progress,
    });
    if (measure) {
      bundlingSection(parts.bundling, targets, bundles);
      bundlesSection(parts.bundles, targets, bundles, options);
    }
  }
  try {
    if (options.sections.has('latency') && bundles) {
      progress('latency (DynamoDB Local)');
      const latency = await runLatencyBench({
        projectRoot: PROJECT_ROOT,
        workRoot: WORK_ROOT,
        logRoot: LOG_ROOT,
        bundlesDir: bundles.bundles.outdir,
        requests: options.requests,
        concurrency: options.concurrency,
        warmup: options.warmup,
      });
      latencySection(more.latency, targets, latency, options);
    }
  } finally {
    if (bundles) removeBundles(bundles);
  }
  if (options.sections.has('jest')) {
    progress('jest: tsc, jest (transpile only), jest (type-checking)');
    jestSection(
      parts.jest,
      targets,
      runJestBench({ projectRoot: PROJECT_ROOT, workRoot: WORK_ROOT, logRoot: LOG_ROOT })
    );
  }
  if (options.sections.has('gnu-time')) {
    progress('GNU time check');
    gnuTimeSection(more.gnuTime);
  }

  // Targets sort by issue item; the sections follow in the same order.
  targets.sort((a, b) => Number.parseInt(a[0], 10) - Number.parseInt(b[0], 10));
  const report = new Report();
  report.paragraph('# Benchmark (issue 7)');
  report.paragraph(
    [
      `Run ${new Date(startedAt).toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ` +
        `Node ${process.version}; load average ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')} at the start, ` +
        `${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')} at the end; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all.`,
      `Commit ${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain']) ? ' with uncommitted changes' : ''}; ` +
        `AppFunction bundles with ${appFunctionBundling()}.`,
      `Repetitions: synth ${options.reps} per variant, bundling ${options.buildRuns}, module load ${options.loadRuns} ` +
        `(SDK-bundled alternative ${options.sdkLoadRuns}), jest 1 per variant, latency ${options.requests} requests ` +
        `sequential and ${options.requests} at ${options.concurrency} concurrent. ` +
        `Sections: ${[...options.sections].join(', ')}. Medians, with min and max where repeated; logs in cdk.out.bench/logs/.`,
    ].join('\n')
  );
  report.heading('Targets');
  report.table(['target', 'measured', 'result'], targets);
  for (const part of [
    parts.synth,
    parts.bundling,
    parts.jest,
    parts.bundles,
    more.latency,
    more.pipeline,
    more.gnuTime,
  ]) {
    report.append(part);
  }

  // Formatted as `npm run lint` (prettier --check .) expects a committed file to be.
  const config = (await prettier.resolveConfig(RESULTS_FILE)) ?? {};
  const text = await prettier.format(report.toString(), { ...config, filepath: RESULTS_FILE });
  fs.writeFileSync(RESULTS_FILE, text);
  process.stdout.write(text);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
