import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build, type BuildOptions, buildSync, type Metafile } from 'esbuild';

/*
 * Building the functions' bundles with esbuild. This module loads nothing of aws-cdk-lib, so an
 * entry point can start the build before it loads the CDK (bin/app.ts); bundle.ts hands the
 * bundles to the constructs.
 */

/** The repository root (this file is lib/constructs/function-bundles.ts). */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');
/** One sub-folder per Lambda function, each with an index.ts (functions/shared has none). */
export const FUNCTIONS_SOURCE_DIR = path.join(PROJECT_ROOT, 'functions');

/**
 * Where bundles are written: one fresh folder per build, always at this depth inside the project
 * (node_modules/.cache is ignored by git and is where build tools keep such output). esbuild makes
 * the source maps' `sources` relative to the output folder, so a fixed place inside the project
 * keeps the bundles, and so the asset hashes, byte-identical wherever the repository is checked
 * out: CodeBuild's checkout path changes with every build, and a hash that followed it would
 * redeploy every function on every pipeline run.
 */
export const BUNDLES_ROOT = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'app-functions');
/**
 * Build folders older than this are left-overs (of killed processes, and of jest, whose sandboxed
 * `process` never emits 'exit'): removed by the next build. A build is only needed until the
 * assets are linked into the cloud assembly, seconds after it was made; a process that finds its
 * cached build removed builds again (same bytes, same hashes).
 */
const STALE_BUILD_MS = 10 * 60 * 1000;

/**
 * The bundle of every function (minified CommonJS for Node.js 24, external source maps for
 * NODE_OPTIONS=--enable-source-maps), built for all entry points in one esbuild call. The maps
 * carry file names and mappings but not the sources (`sourcesContent: false`): stack traces need
 * no more, and the maps are a third of the size to write, hash, upload and parse at cold start.
 *
 * The AWS SDK v3 stays external (decided on measurements, `npm run bench` re-measures them in
 * its "SDK bundled" rows): the Node.js 24 runtime ships SDK v3 on its NODE_PATH, AWS patches it
 * without a redeploy, and our packages stay small. Bundling it would double the four SDK-using
 * functions (orders: index.js 0.50 → 1.05 MiB, over the 1 MiB the stack tests allow; its source
 * map 1.7 → 3.9 MiB) and make their cold start slower, not faster: module load of orders 143 →
 * 181 ms CPU, since with --enable-source-maps Node also parses the bigger map while loading.
 * Revisit if a function needs an SDK feature newer than the runtime's copy: bundle that client.
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
} as const satisfies BuildOptions;

/**
 * Threads esbuild (a Go program) may use: all cores but one, which is left to the CloudFormation
 * validation process that starts its engine while the app bundles (lib/compliance). On this
 * project's 2-core machines that is one thread, and one is faster even alone: 530 → 410 ms per
 * cold bundling, as Go's parallel runtime pays for every memory change on both cores there.
 */
const ESBUILD_THREADS = String(Math.max(1, os.availableParallelism() - 1));

/** What each function's folder holds. */
export const BUNDLE_FILES = ['index.js', 'index.js.map'] as const;

/** One Lambda function's bundle: `dir` holds exactly {@link BUNDLE_FILES}. */
export interface FunctionBundle {
  readonly name: string;
  readonly dir: string;
  /** SHA-256 of the files: the asset hash, so the CDK need not fingerprint 2 MB per function again. */
  readonly hash: string;
  /** Bytes of index.js (minified). */
  readonly codeBytes: number;
  /** Bytes of index.js.map. */
  readonly sourceMapBytes: number;
  /** The source files inside index.js, project-relative (`functions/...`, `node_modules/...`). */
  readonly inputs: readonly string[];
}

export interface FunctionBundles {
  /** The folder holding one sub-folder per function. */
  readonly outdir: string;
  readonly functions: Readonly<Record<string, FunctionBundle>>;
  /** Wall time of the esbuild call (which writes the files) and of hashing them. */
  readonly durationMs: number;
  readonly metafile: Metafile;
}

export interface BuildFunctionBundlesOptions {
  /** @default - every folder of functions/ with an index.ts */
  readonly names?: readonly string[];
  /** For comparisons only (bench): what stays out of the bundles. @default BUNDLE_OPTIONS.external */
  readonly external?: readonly string[];
}

/** Folders under functions/ with an index.ts, sorted: one Lambda function each. */
export function functionNames(): string[] {
  return fs
    .readdirSync(FUNCTIONS_SOURCE_DIR, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && fs.existsSync(path.join(FUNCTIONS_SOURCE_DIR, entry.name, 'index.ts'))
    )
    .map((entry) => entry.name)
    .sort();
}

let esbuildCalls = 0;

function newBuildDir(): string {
  fs.mkdirSync(BUNDLES_ROOT, { recursive: true });
  const now = Date.now();
  for (const entry of fs.readdirSync(BUNDLES_ROOT).filter((name) => name.startsWith('build-'))) {
    const dir = path.join(BUNDLES_ROOT, entry);
    try {
      if (now - fs.statSync(dir).mtimeMs > STALE_BUILD_MS) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another process.
    }
  }
  return fs.mkdtempSync(path.join(BUNDLES_ROOT, 'build-'));
}

/**
 * Bundles the functions with ONE esbuild call into a new folder under {@link BUNDLES_ROOT}
 * (`<outdir>/<name>/index.js` and `index.js.map`); the caller owns the folder. Uncached: constructs
 * use bundleFunctions / functionCode (bundle.ts).
 */
export function buildFunctionBundles(options: BuildFunctionBundlesOptions = {}): FunctionBundles {
  const start = performance.now();
  const job = buildJob(options);
  // esbuild writes the files itself: much cheaper than passing 15 MB back to Node (write: false).
  const result = withEnvironment('GOMAXPROCS', esbuildThreads(), () => buildSync(job.options));
  return collectBundles(job, result.metafile, start);
}

/**
 * The same build as {@link buildFunctionBundles} (same options, byte-identical files), without
 * blocking: esbuild's service process bundles while this thread does other work, such as loading
 * the app's modules (bin/app.ts).
 */
export async function buildFunctionBundlesAsync(
  options: BuildFunctionBundlesOptions = {}
): Promise<FunctionBundles> {
  const start = performance.now();
  const job = buildJob(options);
  // The service process is spawned inside this call, so it inherits GOMAXPROCS.
  const pending = withEnvironment('GOMAXPROCS', esbuildThreads(), () => build(job.options));
  return collectBundles(job, (await pending).metafile, start);
}

interface BuildJob {
  readonly names: readonly string[];
  readonly outdir: string;
  readonly options: BuildOptions & { readonly metafile: true };
}

function buildJob(options: BuildFunctionBundlesOptions): BuildJob {
  const names = options.names ?? functionNames();
  const outdir = newBuildDir();
  esbuildCalls++;
  return {
    names,
    outdir,
    options: {
      ...BUNDLE_OPTIONS,
      external: [...(options.external ?? BUNDLE_OPTIONS.external)],
      absWorkingDir: PROJECT_ROOT,
      entryPoints: Object.fromEntries(
        names.map((name) => [`${name}/index`, path.join(FUNCTIONS_SOURCE_DIR, name, 'index.ts')])
      ),
      outdir,
      metafile: true,
    },
  };
}

/** Hashes the files esbuild wrote and reads their sizes and inputs from its metafile. */
function collectBundles(job: BuildJob, metafile: Metafile, start: number): FunctionBundles {
  const functions = Object.fromEntries(
    job.names.map((name): [string, FunctionBundle] => {
      const dir = path.join(job.outdir, name);
      const key = path.relative(PROJECT_ROOT, path.join(dir, 'index.js')).split(path.sep).join('/');
      const code = metafile.outputs[key];
      const map = metafile.outputs[`${key}.map`];
      if (!code || !map) throw new Error(`esbuild produced no ${key} and ${key}.map for functions/${name}`);
      const hash = createHash('sha256');
      for (const file of BUNDLE_FILES) hash.update(`${file}\0`).update(fs.readFileSync(path.join(dir, file)));
      return [
        name,
        {
          name,
          dir,
          hash: hash.digest('hex'),
          codeBytes: code.bytes,
          sourceMapBytes: map.bytes,
          inputs: Object.keys(code.inputs).sort(),
        },
      ];
    })
  );
  return { outdir: job.outdir, functions, durationMs: performance.now() - start, metafile };
}

/** GOMAXPROCS for esbuild's process: the caller's own setting wins. */
function esbuildThreads(): string {
  return process.env.GOMAXPROCS ?? ESBUILD_THREADS;
}

/** Runs `fn` with one environment variable set: the child processes it starts inherit it. */
function withEnvironment<T>(name: string, value: string, fn: () => T): T {
  const previous = process.env[name];
  process.env[name] = value;
  try {
    return fn();
  } finally {
    if (previous === undefined) delete process.env[name];
    else process.env[name] = previous;
  }
}

/** How often this process ran esbuild (bundleFunctions runs it at most once). */
export function bundlingStats(): { readonly esbuildCalls: number } {
  return { esbuildCalls };
}
