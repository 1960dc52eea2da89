import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AssetHashType, type BundlingOptions, DockerImage, PERF_BUNDLING_SRC_SYM, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type IConstruct } from 'constructs';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';

/** The repository root (this file is lib/constructs/bundle.ts). */
const PROJECT_ROOT = path.join(__dirname, '..', '..');
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
 * use bundleFunctions / functionCode.
 */
export function buildFunctionBundles(options: BuildFunctionBundlesOptions = {}): FunctionBundles {
  const names = options.names ?? functionNames();
  const start = performance.now();
  const outdir = newBuildDir();
  esbuildCalls++;
  // esbuild writes the files itself: much cheaper than passing 15 MB back to Node (write: false).
  // Its JS API has no option for the environment of its process: GOMAXPROCS is set for the call.
  const result = withEnvironment('GOMAXPROCS', process.env.GOMAXPROCS ?? ESBUILD_THREADS, () =>
    buildSync({
      ...BUNDLE_OPTIONS,
      external: [...(options.external ?? BUNDLE_OPTIONS.external)],
      absWorkingDir: PROJECT_ROOT,
      entryPoints: Object.fromEntries(
        names.map((name) => [`${name}/index`, path.join(FUNCTIONS_SOURCE_DIR, name, 'index.ts')])
      ),
      outdir,
      metafile: true,
    })
  );

  const functions = Object.fromEntries(
    names.map((name): [string, FunctionBundle] => {
      const dir = path.join(outdir, name);
      const key = path.relative(PROJECT_ROOT, path.join(dir, 'index.js')).split(path.sep).join('/');
      const code = result.metafile.outputs[key];
      const map = result.metafile.outputs[`${key}.map`];
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
  return { outdir, functions, durationMs: performance.now() - start, metafile: result.metafile };
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

/** Per process: built on first use, then shared by every stack and stage (dev, staging, prod). */
let cached: FunctionBundles | undefined;
let placeholders: Readonly<Record<string, string>> | undefined;

function sharedBundles(): FunctionBundles {
  if (!cached || !fs.existsSync(cached.outdir)) {
    const bundles = buildFunctionBundles();
    // Only needed until the assets are linked into the assembly, during construction.
    process.once('exit', () => fs.rmSync(bundles.outdir, { recursive: true, force: true }));
    cached = bundles;
  }
  return cached;
}

/**
 * Stand-ins for stacks that are not bundled (`aws:cdk:bundling-stacks`: the tests set it to `[]`,
 * `cdk deploy --exclusively` narrows it): per function a tiny index.js that fails loudly if it
 * ever ran, so such a template can never ship working-looking code. Also the asset source of
 * functionCode. Shared by all processes (written atomically, kept).
 */
function placeholderDirs(): Readonly<Record<string, string>> {
  placeholders ??= Object.fromEntries(
    functionNames().map((name) => {
      const dir = path.join(BUNDLES_ROOT, 'placeholders', name);
      const file = path.join(dir, 'index.js');
      const content =
        `exports.handler = async () => {\n` +
        `  throw new Error('functions/${name} was not bundled for this stack (aws:cdk:bundling-stacks)');\n};\n`;
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) {
        fs.mkdirSync(dir, { recursive: true });
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, content);
        fs.renameSync(partial, file);
      }
      return [name, dir];
    })
  );
  return placeholders;
}

/**
 * The asset folder of every function (by its folder name under functions/) for the stack of
 * `scope`: the real bundles when that stack is bundled (`Stack.bundlingRequired`, i.e. the
 * `aws:cdk:bundling-stacks` context), placeholders otherwise. The bundles are built once per
 * process, by one esbuild call for all functions, and reused by every stack and stage.
 */
export function bundleFunctions(scope: IConstruct): Readonly<Record<string, string>> {
  if (!Stack.of(scope).bundlingRequired) return placeholderDirs();
  return Object.fromEntries(
    Object.values(sharedBundles().functions).map((bundle) => [bundle.name, bundle.dir])
  );
}

/** Hard-links (same file system) or copies the bundle's files into `outputDir`. */
function linkBundle(bundle: FunctionBundle, outputDir: string): void {
  for (const file of BUNDLE_FILES) {
    const source = path.join(bundle.dir, file);
    const target = path.join(outputDir, file);
    try {
      fs.linkSync(source, target);
    } catch {
      fs.copyFileSync(source, target);
    }
  }
}

/**
 * `lambda.Code` of functions/<name> for a `lambda.Function` with `handler: 'index.handler'`.
 *
 * Where the stack of `scope` is bundled, the asset is the shared bundle (see bundleFunctions),
 * hard-linked into the cloud assembly by a local bundler of the CDK's asset bundling, under the
 * bundle's content hash: the CDK neither fingerprints nor copies it, and its asset cache makes
 * that once per function for all stages. Elsewhere the CDK skips the bundling, as for
 * NodejsFunction, and the asset is the placeholder (not even copied).
 */
export function functionCode(scope: IConstruct, name: string): lambda.AssetCode {
  const placeholder = placeholderDirs()[name];
  if (!placeholder) {
    throw new Error(
      `No Lambda function "${name}": expected ${path.join(FUNCTIONS_SOURCE_DIR, name, 'index.ts')}`
    );
  }
  const bundle = Stack.of(scope).bundlingRequired ? sharedBundles().functions[name] : undefined;
  const bundling: BundlingOptions = {
    // Never pulled: the local bundler below always succeeds or throws.
    image: DockerImage.fromRegistry('local-bundling-only'),
    local: {
      tryBundle: (outputDir: string) => {
        if (!bundle) throw new Error(`functions/${name} was not bundled for ${Stack.of(scope).node.path}`);
        // The same bytes as `bundle` (reproducible build), rebuilt if a long-lived process lost it.
        const current = fs.existsSync(bundle.dir) ? bundle : sharedBundles().functions[name];
        if (!current) throw new Error(`functions/${name} was not bundled`);
        linkBundle(current, outputDir);
        return true;
      },
    },
  };
  return lambda.Code.fromAsset(placeholder, {
    ...(bundle ? { assetHash: bundle.hash } : { assetHashType: AssetHashType.OUTPUT }),
    // The symbol names the CDK's performance counter of this bundling, `bundle:AppFunction` (bench).
    bundling: Object.assign(bundling, { [PERF_BUNDLING_SRC_SYM]: 'AppFunction' }),
  });
}
