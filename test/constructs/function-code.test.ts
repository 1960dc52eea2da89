import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FUNCTIONS_DIR, functionCode } from '../../lib/constructs/function-code';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * Minified index.js per function, about 5 % above today's size: a dependency or an import that
 * bloats a function fails here (`npm run bench` reports sizes and load times).
 */
const CODE_BUDGET_KIB: Readonly<Record<string, number>> = {
  // Powertools Metrics for its UnexpectedFailures metric (issue 15 item 7).
  authorizer: 58,
  'canary-user': 29,
  'delivery-metrics': 510,
  'metrics-publisher': 505,
  'order-events': 512,
  orders: 525,
  'pre-token': 26,
  products: 502,
  'slack-notifier': 493,
  users: 515,
};

const functionNames = fs
  .readdirSync(FUNCTIONS_DIR)
  .filter((name) => fs.existsSync(path.join(FUNCTIONS_DIR, name, 'index.ts')))
  .sort();

/** Three stages with every function, as the pipeline holds dev, staging and prod. */
function appWithFunctions(app: App): Stack[] {
  return ['Dev', 'Staging', 'Prod'].map((stageId) => {
    const stack = new Stack(new Stage(app, stageId), 'Functions');
    for (const name of functionNames) {
      new lambda.Function(stack, name, {
        code: functionCode(name),
        handler: 'index.handler',
        runtime: lambda.Runtime.NODEJS_24_X,
      });
    }
    return stack;
  });
}

function s3KeysOf(stack: Stack): string[] {
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  return Object.values(functions).map((fn) => (fn.Properties as { Code: { S3Key: string } }).Code.S3Key);
}

describe('functionCode, bundled', () => {
  // Inside the project, as cdk.out is: source maps name the sources relative to the bundle.
  const outdir = fs.mkdtempSync(path.join(PROJECT_ROOT, 'cdk.out.test-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  const app = new App({ outdir });
  const stacks = appWithFunctions(app);
  const assembly = app.synth();
  const bundleDir = (name: string): string => {
    const template = Template.fromStack(stacks[0]!).findResources('AWS::Lambda::Function');
    const [, fn] = Object.entries(template).find(([logicalId]) =>
      logicalId.startsWith(name.replace(/-/g, ''))
    )!;
    const key = (fn.Properties as { Code: { S3Key: string } }).Code.S3Key;
    return path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
  };

  test('every function has one asset, shared by all stages', () => {
    const [dev, ...others] = stacks.map(s3KeysOf);
    expect(new Set(dev).size).toBe(functionNames.length);
    for (const keys of others) expect(keys).toEqual(dev);
    expect(functionNames).toEqual(Object.keys(CODE_BUDGET_KIB).sort());
  });

  test.each(functionNames)(
    '%s: index.js and its source map, without sources, under its size budget',
    (name) => {
      const dir = bundleDir(name);
      expect(fs.readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
      const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
      const map = JSON.parse(fs.readFileSync(path.join(dir, 'index.js.map'), 'utf8')) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sources).toContain(`../../functions/${name}/index.ts`);
      expect(map.sourcesContent).toBeUndefined();
      expect(code).not.toContain(PROJECT_ROOT);
      expect(Buffer.byteLength(code) / 1024).toBeLessThanOrEqual(CODE_BUDGET_KIB[name]!);
    }
  );

  test('the AWS SDK stays external: the runtime provides it', () => {
    const code = fs.readFileSync(path.join(bundleDir('orders'), 'index.js'), 'utf8');
    expect(code).toContain('require("@aws-sdk/client-dynamodb")');
    expect(code).toContain('require("@aws-sdk/lib-dynamodb")');
    expect(code).toContain('require("@aws-sdk/client-sqs")');
    expect(code).not.toMatch(/class DynamoDBClient\b/);
  });

  test('with --enable-source-maps, a stack trace from the bundle names the TypeScript file and line', () => {
    // The authorizer throws on a missing environment variable at module scope (functions/shared/env.ts).
    const result = spawnSync(
      process.execPath,
      ['--enable-source-maps', path.join(bundleDir('authorizer'), 'index.js')],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      }
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/functions\/shared\/env\.ts:\d+:\d+/);
  });
});

describe('functionCode, not bundled', () => {
  test('a stack left out of aws:cdk:bundling-stacks runs no esbuild: its asset is the source folder', () => {
    const outdir = fs.mkdtempSync(path.join(PROJECT_ROOT, 'cdk.out.test-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
      appWithFunctions(app);
      const assembly = app.synth();
      const assets = fs.readdirSync(assembly.directory).filter((entry) => entry.startsWith('asset.'));
      expect(assets).toEqual([]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('throws for a function that does not exist, naming the expected entry file', () => {
    expect(() => functionCode('no-such-function')).toThrow(
      `No Lambda function "no-such-function": expected ${path.join(FUNCTIONS_DIR, 'no-such-function', 'index.ts')}`
    );
  });
});
