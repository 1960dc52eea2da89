import * as fs from 'node:fs';
import * as path from 'node:path';
import { tail, timed } from './lib/exec';
import { summarize, type Summary } from './lib/stats';

/**
 * One `npx cdk synth` configuration. The ladder floor → +bundling → +validation → +nag (= full)
 * switches one step on at a time, so the differences of the medians itemise the full synth.
 */
export interface SynthVariant {
  readonly id: string;
  readonly label: string;
  /** `--app` override; default: cdk.json's (`node --import tsx bin/app.ts`). */
  readonly app?: string;
  readonly env: Readonly<Record<string, string>>;
  /** `--no-validation`: the CLI passes CDK_VALIDATION=false to the app (no CloudFormationValidatePlugin) and skips its own metadata check. */
  readonly noValidation: boolean;
}

const NO_BUNDLING = { CDK_BENCH_NO_BUNDLING: '1' } as const;
const NO_NAG = { CDK_BENCH_NO_NAG: '1' } as const;
/** Every template validated: the validation cache (lib/compliance) neither read nor written. */
const COLD = { CDK_VALIDATION_CACHE: 'off' } as const;

/** The classic app command: ts-node type-checks every file it loads. */
const TS_NODE_APP = 'npx ts-node --prefer-ts-exts bin/app.ts';

export const SYNTH_VARIANTS: readonly SynthVariant[] = [
  {
    id: 'floor',
    label: 'floor: no bundling, --no-validation, no nag',
    env: { ...NO_BUNDLING, ...NO_NAG },
    noValidation: true,
  },
  { id: 'bundling', label: '+ bundling', env: NO_NAG, noValidation: true },
  {
    id: 'validation',
    label: '+ CloudFormation validation (every template)',
    env: { ...NO_NAG, ...COLD },
    noValidation: false,
  },
  {
    id: 'full',
    label: '+ cdk-nag gate = full `npx cdk synth` (cold: every template validated)',
    env: COLD,
    noValidation: false,
  },
  {
    id: 'ts-node',
    label: `full (cold), classic app command \`${TS_NODE_APP}\` (type-checks)`,
    app: TS_NODE_APP,
    env: COLD,
    noValidation: false,
  },
  {
    id: 'full-warm',
    label: 'full `npx cdk synth` again, templates unchanged (validation cache warm)',
    env: {},
    noValidation: false,
  },
  {
    id: 'ts-node-warm',
    label: 'full again (validation cache warm), ts-node app command',
    app: TS_NODE_APP,
    env: {},
    noValidation: false,
  },
];

/** The app's own timings (aws-cdk-lib's performance counters, written by the app into the assembly). */
export type Counters = Readonly<Record<string, number>>;

export interface SynthRun {
  readonly variant: string;
  readonly rep: number;
  readonly wallS: number;
  readonly maxRssKb: number;
  readonly exitCode: number;
  readonly counters: Counters;
  readonly templates: number;
  readonly outdir: string;
  readonly logFile: string;
}

export interface SynthVariantSummary {
  readonly variant: SynthVariant;
  readonly runs: readonly SynthRun[];
  readonly wall: Summary;
  readonly rss: Summary;
  /** Median per counter over the runs. */
  readonly counters: Counters;
}

/** Variables that would change what a run measures if the caller's shell had them set. */
const SCRUBBED_ENV = [
  'CDK_BENCH_NO_BUNDLING',
  'CDK_BENCH_NO_NAG',
  'CDK_VALIDATION',
  'CDK_VALIDATION_CACHE',
  'CDK_OUTDIR',
  'CDK_CONTEXT_JSON',
];

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !SCRUBBED_ENV.includes(key)) env[key] = value;
  }
  return env;
}

function countTemplates(dir: string): number {
  let count = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith('assembly-'))
      count += countTemplates(path.join(dir, entry.name));
    else if (entry.isFile() && entry.name.endsWith('.template.json')) count++;
  }
  return count;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export interface RunSynthOptions {
  readonly projectRoot: string;
  /** Where each run's cloud assembly goes (`<dir>/<variant>-<rep>`). */
  readonly outRoot: string;
  readonly logRoot: string;
  readonly variant: SynthVariant;
  readonly rep: number;
  /** `--app` a ready cloud assembly instead: the CLI alone, no app process. */
  readonly assemblyApp?: string;
}

export function runSynth(options: RunSynthOptions): SynthRun {
  const { variant, rep } = options;
  const outdir = path.join(options.outRoot, `${variant.id}-${rep}`);
  fs.rmSync(outdir, { recursive: true, force: true });
  const app = options.assemblyApp ?? variant.app;
  const args = [
    'cdk',
    'synth',
    '--output',
    outdir,
    // Makes the app write its performance counters (the CLI asks for them only for slow synths).
    '--context',
    '@aws-cdk/core.slowSynthThreshold=0',
    ...(app ? ['--app', app] : []),
    ...(variant.noValidation ? ['--no-validation'] : []),
  ];
  const run = timed('npx', args, {
    cwd: options.projectRoot,
    env: { ...baseEnv(), ...variant.env },
    cleanEnv: true,
    logFile: path.join(options.logRoot, `synth-${variant.id}-${rep}.log`),
    timeoutMs: 15 * 60_000,
  });
  const counters =
    readJson<{ counters?: Counters }>(path.join(outdir, 'performance-counters.json'))?.counters ?? {};
  return {
    variant: variant.id,
    rep,
    wallS: run.wallS,
    maxRssKb: run.maxRssKb,
    exitCode: run.exitCode,
    counters,
    templates: fs.existsSync(outdir) ? countTemplates(outdir) : 0,
    outdir,
    logFile: run.logFile,
  };
}

export function summarizeSynth(variant: SynthVariant, runs: readonly SynthRun[]): SynthVariantSummary {
  const keys = new Set(runs.flatMap((run) => Object.keys(run.counters)));
  const counters = Object.fromEntries(
    [...keys].map((key) => [key, summarize(runs.map((run) => run.counters[key] ?? 0)).median])
  );
  return {
    variant,
    runs,
    wall: summarize(runs.map((run) => run.wallS)),
    rss: summarize(runs.map((run) => run.maxRssKb)),
    counters,
  };
}

/** A failed run's tail, for the report. */
export function failureNote(run: SynthRun): string {
  return `${run.variant} rep ${run.rep} exited ${run.exitCode} (log: ${run.logFile}):\n${tail(run.logFile)}`;
}
