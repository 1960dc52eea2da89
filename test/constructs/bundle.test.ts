import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundleFunctions, functionCode, useFunctionBundles } from '../../lib/constructs/bundle';
import {
  BUNDLE_FILES,
  BUNDLES_ROOT,
  buildFunctionBundles,
  buildFunctionBundlesAsync,
  bundlingStats,
  functionNames,
  type FunctionBundles,
} from '../../lib/constructs/function-bundles';
import { testApp } from '../support/app';
import { BUNDLE_BUDGETS } from './bundle-budgets';

const PROJECT_ROOT = path.join(__dirname, '..', '..');
/** Folders to remove after the tests: assemblies and builds. */
const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-test-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** One build with the asynchronous API, as bin/app.ts runs it: shared by the tests that need one. */
let ahead: Promise<FunctionBundles> | undefined;
function aheadBuild(): Promise<FunctionBundles> {
  ahead ??= buildFunctionBundlesAsync().then((bundles) => {
    tempDirs.push(bundles.outdir);
    return bundles;
  });
  return ahead;
}

function digest(dir: string): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(dir).sort())
    hash.update(`${file}\0`).update(fs.readFileSync(path.join(dir, file)));
  return hash.digest('hex');
}

/** A stage with one stack holding a lambda.Function per function, as AppFunction builds them. */
function stageWithFunctions(scope: Stage | ReturnType<typeof testApp>, id: string): Stack {
  const stage = new Stage(scope, id);
  const stack = new Stack(stage, 'Functions');
  for (const name of functionNames()) {
    new lambda.Function(stack, name, {
      code: functionCode(stack, name),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
    });
  }
  return stack;
}

function codeOf(stack: Stack): Record<string, string> {
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Code: { S3Key: string } } }
  >;
  return Object.fromEntries(
    Object.entries(functions).map(([logicalId, resource]) => [logicalId, resource.Properties.Code.S3Key])
  );
}

describe('buildFunctionBundles', () => {
  let bundles: FunctionBundles;
  beforeAll(() => {
    bundles = buildFunctionBundles();
    tempDirs.push(bundles.outdir);
  });

  test('one bundle per functions/<name>/index.ts', () => {
    expect(functionNames()).toEqual(
      expect.arrayContaining(['authorizer', 'order-events', 'orders', 'products', 'users'])
    );
    expect(Object.keys(bundles.functions).sort()).toEqual(functionNames());
    expect(Object.keys(BUNDLE_BUDGETS).sort()).toEqual(functionNames());
  });

  test.each(functionNames())('%s: exactly index.js and its source map, under its size budget', (name) => {
    const bundle = bundles.functions[name]!;
    expect(fs.readdirSync(bundle.dir).sort()).toEqual([...BUNDLE_FILES]);
    expect(path.dirname(path.relative(BUNDLES_ROOT, bundle.dir))).toBe(path.basename(bundles.outdir));
    const code = fs.readFileSync(path.join(bundle.dir, 'index.js'), 'utf8');
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
    const map = JSON.parse(fs.readFileSync(path.join(bundle.dir, 'index.js.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: string[];
    };
    // Relative to a fixed place in the project: the same bytes wherever the repository lives.
    expect(map.sources).toContain(`../../../../../functions/${name}/index.ts`);
    // Stack traces need only file names and mappings: no copy of the sources (3x smaller maps).
    expect(map.sourcesContent).toBeUndefined();
    expect(bundle.codeBytes).toBe(Buffer.byteLength(code));
    expect(bundle.codeBytes).toBeLessThanOrEqual(BUNDLE_BUDGETS[name]!.codeKiB * 1024);
  });

  test.each(functionNames())('%s: no AWS SDK code inside (the runtime provides it)', (name) => {
    const bundle = bundles.functions[name]!;
    expect(bundle.inputs).toContain(`functions/${name}/index.ts`);
    expect(bundle.inputs.filter((input) => input.includes('node_modules/@aws-sdk/'))).toEqual([]);
    const code = fs.readFileSync(path.join(bundle.dir, 'index.js'), 'utf8');
    const sdkImports = [...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((match) => match[1]);
    for (const sdkImport of sdkImports) expect(sdkImport).toMatch(/^@aws-sdk\/[a-z0-9-]+$/);
  });

  test('with --enable-source-maps, a stack trace from the bundle names the TypeScript file and line', () => {
    // The authorizer throws on a missing environment variable at module scope (functions/shared/env.ts).
    const result = spawnSync(
      process.execPath,
      ['--enable-source-maps', path.join(bundles.functions.authorizer!.dir, 'index.js')],
      { encoding: 'utf8', env: { PATH: process.env.PATH } }
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/functions\/shared\/env\.ts:\d+:\d+/);
  });

  test('the SDK clients the handlers use stay external imports', () => {
    const code = fs.readFileSync(path.join(bundles.functions.orders!.dir, 'index.js'), 'utf8');
    expect(code).toContain('require("@aws-sdk/client-dynamodb")');
    expect(code).toContain('require("@aws-sdk/lib-dynamodb")');
    expect(code).toContain('require("@aws-sdk/client-sqs")');
  });

  test('reproducible: another build (the asynchronous one bin/app.ts runs) gives the same bytes, and no absolute path leaks in', async () => {
    const again = await aheadBuild();
    expect(again.outdir).not.toBe(bundles.outdir);
    expect(Object.keys(again.functions).sort()).toEqual(functionNames());
    for (const name of functionNames()) {
      expect(again.functions[name]!.hash).toBe(bundles.functions[name]!.hash);
      expect(digest(again.functions[name]!.dir)).toBe(digest(bundles.functions[name]!.dir));
      expect(again.functions[name]!.inputs).toEqual(bundles.functions[name]!.inputs);
      for (const file of BUNDLE_FILES) {
        expect(fs.readFileSync(path.join(again.functions[name]!.dir, file), 'utf8')).not.toContain(
          PROJECT_ROOT
        );
      }
    }
  });
});

describe('bundleFunctions / functionCode', () => {
  test('one esbuild call for every function of every stage, assets shared across stages', () => {
    const app = testApp({ bundling: true, outdir: tempDir() });
    const before = bundlingStats().esbuildCalls;
    const stacks = ['Dev', 'Staging', 'Prod'].map((id) => stageWithFunctions(app, id));
    expect(bundlingStats().esbuildCalls - before).toBe(1);

    const [dev, ...others] = stacks.map(codeOf);
    expect(new Set(Object.values(dev!)).size).toBe(functionNames().length);
    for (const code of others) expect(code).toEqual(dev);

    const assembly = app.synth();
    for (const key of Object.values(dev!)) {
      const assetDir = path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
      expect(fs.readdirSync(assetDir).sort()).toEqual([...BUNDLE_FILES]);
    }
    // Cached per process: asking again builds nothing.
    const dirs = bundleFunctions(stacks[0]!);
    expect(Object.keys(dirs).sort()).toEqual(functionNames());
    tempDirs.push(path.dirname(dirs.orders!)); // jest's process never emits 'exit'
    expect(path.dirname(path.dirname(dirs.orders!))).toBe(BUNDLES_ROOT);
    expect(bundlingStats().esbuildCalls - before).toBe(1);
    // What each asset holds is that bundle, byte for byte.
    const functions = Template.fromStack(stacks[0]!).findResources('AWS::Lambda::Function');
    for (const name of functionNames()) {
      const [logicalId] = Object.entries(functions).find(([id]) => id.startsWith(name.replace(/-/g, '')))!;
      const key = dev![logicalId]!.replace(/\.zip$/, '');
      expect(digest(path.join(assembly.directory, `asset.${key}`))).toBe(digest(dirs[name]!));
    }
  });

  test('a cached build removed meanwhile (stale-build clean-up) is built again, to the same bytes', () => {
    const first = bundleFunctions(new Stack(testApp({ bundling: true, outdir: tempDir() }), 'First'));
    const firstDigest = digest(first.orders!);
    fs.rmSync(path.dirname(first.orders!), { recursive: true, force: true });

    const before = bundlingStats().esbuildCalls;
    const app = testApp({ bundling: true, outdir: tempDir() });
    const stack = stageWithFunctions(app, 'Later');
    expect(bundlingStats().esbuildCalls - before).toBe(1);
    const again = bundleFunctions(stack);
    tempDirs.push(path.dirname(again.orders!));
    expect(digest(again.orders!)).toBe(firstDigest);
  });

  test('stacks that are not bundled get placeholders that fail loudly, without running esbuild', () => {
    const app = testApp({ outdir: tempDir() }); // aws:cdk:bundling-stacks = []
    const before = bundlingStats().esbuildCalls;
    const stack = stageWithFunctions(app, 'Dev');
    expect(bundlingStats().esbuildCalls).toBe(before);

    const dirs = bundleFunctions(stack);
    expect(Object.keys(dirs).sort()).toEqual(functionNames());
    const placeholder = fs.readFileSync(path.join(dirs.orders!, 'index.js'), 'utf8');
    expect(placeholder).toContain('functions/orders was not bundled');
    expect(Object.keys(codeOf(stack))).toHaveLength(functionNames().length);
  });

  test('bundles built ahead and handed over are used as they are, without running esbuild again', async () => {
    const ahead = await aheadBuild();
    const incomplete = { ...ahead, functions: { orders: ahead.functions.orders! } };
    expect(() => useFunctionBundles(incomplete)).toThrow(/lack functions\/authorizer, /);

    useFunctionBundles(ahead);
    const before = bundlingStats().esbuildCalls;
    const app = testApp({ bundling: true, outdir: tempDir() });
    const stack = stageWithFunctions(app, 'HandedOver');
    expect(bundlingStats().esbuildCalls).toBe(before);
    expect(bundleFunctions(stack).orders).toBe(ahead.functions.orders!.dir);
    const code = codeOf(stack);
    const assembly = app.synth();
    for (const name of functionNames()) {
      const [, key] = Object.entries(code).find(([id]) => id.startsWith(name.replace(/-/g, '')))!;
      const asset = path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
      expect(digest(asset)).toBe(digest(ahead.functions[name]!.dir));
    }
  });

  test('an unknown function name is an error naming the expected entry file', () => {
    const stack = new Stack(testApp({ outdir: tempDir() }), 'Unknown');
    expect(() => functionCode(stack, 'no-such-function')).toThrow(/functions\/no-such-function\/index\.ts/);
  });
});
