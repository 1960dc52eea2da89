import * as fs from 'node:fs';
import * as path from 'node:path';
import { DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync, type BuildOptions } from 'esbuild';

/** One sub-folder per Lambda function, each with an index.ts (functions/shared has none). */
export const FUNCTIONS_DIR = path.join(__dirname, '..', '..', 'functions');

/**
 * Minified CommonJS for Node.js 24, with source maps for NODE_OPTIONS=--enable-source-maps but
 * without the sources (stack traces need no more). The AWS SDK v3 stays external: the runtime
 * ships it and AWS patches it without a redeploy.
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
 * The code of functions/<name>, bundled by esbuild's API in this process: no Docker, and not
 * NodejsFunction, which starts `npx esbuild` per function. Measured cost (tools/bench/results.md):
 * 0.9 s for all nine functions per synth, against 4.2 s through NodejsFunction. CDK's
 * asset cache bundles each function once per synth for all stages, and skips bundling where the
 * `aws:cdk:bundling-stacks` context leaves a stack out (the tests).
 */
export function functionCode(name: string): lambda.Code {
  const entry = path.join(FUNCTIONS_DIR, name, 'index.ts');
  if (!fs.existsSync(entry)) throw new Error(`No Lambda function "${name}": expected ${entry}`);
  return lambda.Code.fromAsset(path.dirname(entry), {
    bundling: {
      // Never pulled: the local bundler below either succeeds or throws.
      image: DockerImage.fromRegistry('local-esbuild'),
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile: path.join(outputDir, 'index.js') });
          return true;
        },
      },
    },
  });
}
