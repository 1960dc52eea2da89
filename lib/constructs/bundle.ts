import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, type BundlingOptions, DockerImage, PERF_BUNDLING_SRC_SYM, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type IConstruct } from 'constructs';
import {
  BUNDLE_FILES,
  BUNDLES_ROOT,
  buildFunctionBundles,
  type FunctionBundle,
  type FunctionBundles,
  FUNCTIONS_SOURCE_DIR,
  functionNames,
} from './function-bundles';

/** Per process: built on first use, then shared by every stack and stage (dev, staging, prod). */
let cached: FunctionBundles | undefined;
let placeholders: Readonly<Record<string, string>> | undefined;

function sharedBundles(): FunctionBundles {
  if (!cached || !fs.existsSync(cached.outdir)) return adopt(buildFunctionBundles());
  return cached;
}

function adopt(bundles: FunctionBundles): FunctionBundles {
  // Only needed until the assets are linked into the assembly, during construction.
  process.once('exit', () => fs.rmSync(bundles.outdir, { recursive: true, force: true }));
  cached = bundles;
  return bundles;
}

/**
 * Makes `bundles` the ones this process's stacks use, instead of building them on first use: an
 * entry point that built them ahead (bin/app.ts, with buildFunctionBundlesAsync while the app's
 * modules load) hands them over here. They must be a build of every function with the shipped
 * options; this process then owns (and removes) their folder.
 */
export function useFunctionBundles(bundles: FunctionBundles): void {
  const missing = functionNames().filter((name) => !bundles.functions[name]);
  if (missing.length > 0)
    throw new Error(`The bundles handed over lack functions/${missing.join(', functions/')}`);
  adopt(bundles);
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
