import { App } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { loadEnvironments, loadPipelineConfig } from '../lib/config';
import {
  addCloudFormationValidation,
  BackgroundCloudFormationValidation,
} from '../lib/compliance/cloudformation-validation';
import { type ValidationProcess } from '../lib/compliance/validation-process';
import { useFunctionBundles } from '../lib/constructs/bundle';
import { type FunctionBundles } from '../lib/constructs/function-bundles';
import { addNagGate, enforceValidationReport, writeAcknowledgementReport } from '../lib/compliance/nag-gate';
import { PipelineStack } from '../lib/pipeline/pipeline-stack';

/**
 * Benchmark switches (`npm run bench`), read here only: nothing below bin/ reads the environment.
 * CDK_BENCH_NO_BUNDLING=1 bundles no Lambda code (placeholders, as in the tests);
 * CDK_BENCH_NO_NAG=1 leaves the cdk-nag gate out. CloudFormation validation has the CLI's switch:
 * `cdk synth --no-validation`. Such an assembly must never be deployed: refused in CodeBuild.
 */
const benchSwitches = ['CDK_BENCH_NO_BUNDLING', 'CDK_BENCH_NO_NAG'].filter(
  (name) => process.env[name] === '1'
);
if (benchSwitches.length > 0) {
  if (process.env.CODEBUILD_BUILD_ID) {
    throw new Error(`${benchSwitches.join(', ')} are benchmark switches, not for CI`);
  }
  process.stderr.write(`Benchmark switches on (${benchSwitches.join(', ')}): do not deploy this assembly.\n`);
}

/** What bin/app.ts started before it loaded this module. */
export interface SynthAppOptions {
  /** Where CloudFormation validation runs. @default - none: `cdk synth --no-validation` */
  readonly validationProcess?: ValidationProcess;
  /** The functions' bundles, built ahead. @default - built when the first function needs them */
  readonly functionBundles?: FunctionBundles;
}

/**
 * Builds and synthesizes the app: the PipelineStack (holding the dev, staging and prod stages),
 * CloudFormation validation, the cdk-nag gate.
 */
export function synthApp({ validationProcess, functionBundles }: SynthAppOptions): void {
  if (functionBundles) useFunctionBundles(functionBundles);
  const app = new App({
    // Replaced by the same validation in a separate process, started before the stacks are built.
    builtinCloudFormationValidation: false,
    ...(benchSwitches.includes('CDK_BENCH_NO_BUNDLING') ? { postCliContext: { [BUNDLING_STACKS]: [] } } : {}),
  });
  const validation = validationProcess && new BackgroundCloudFormationValidation(validationProcess);

  new PipelineStack(app, 'PipelineStack', {
    pipelineConfig: loadPipelineConfig(app.node),
    environments: loadEnvironments(app.node),
  });

  const nag = !benchSwitches.includes('CDK_BENCH_NO_NAG');
  if (validation) {
    // The validation process validates the templates while cdk-nag checks them on this thread.
    addCloudFormationValidation(app, validation, () => {
      if (nag) addNagGate(app);
    });
  } else if (nag) {
    addNagGate(app);
  }
  const assembly = app.synth();
  writeAcknowledgementReport(app, assembly);
  enforceValidationReport(assembly);
}
