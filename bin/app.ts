#!/usr/bin/env node
/**
 * The CDK app (cdk.json's `app`), the deployable entry point: `cdk deploy PipelineStack` once,
 * then every git push deploys dev → staging → (approval) → prod through the pipeline.
 *
 * Two pieces of work need no construct and run beside the app instead of before or after it:
 * - CloudFormation validation's engine takes ~0.7 s to start, in its own process, started first;
 * - esbuild bundles the Lambda functions (~0.35 s) in its own process while this thread loads the
 *   app's modules (./synth-app: aws-cdk-lib alone takes ~0.5 s to load).
 * So this module imports neither aws-cdk-lib nor the app before both are on their way.
 */
import { buildFunctionBundlesAsync } from '../lib/constructs/function-bundles';
import { VALIDATION_CACHE_DIR, ValidationProcess } from '../lib/compliance/validation-process';

// `cdk synth --no-validation` sets CDK_VALIDATION=false for the app. Templates validated by an
// earlier synth are not validated again, unless CDK_VALIDATION_CACHE=off (npm run bench: cold runs).
const validationProcess =
  process.env.CDK_VALIDATION === 'false'
    ? undefined
    : new ValidationProcess({
        cacheDir: process.env.CDK_VALIDATION_CACHE === 'off' ? undefined : VALIDATION_CACHE_DIR,
      });
// A benchmark switch (npm run bench), see ./synth-app.
const bundles = process.env.CDK_BENCH_NO_BUNDLING === '1' ? undefined : buildFunctionBundlesAsync();

Promise.all([import('./synth-app'), bundles])
  .then(([{ synthApp }, functionBundles]) => synthApp({ validationProcess, functionBundles }))
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
