/**
 * bin/app.ts's app with each step switched on by an argument (`bundling`, `validation`, `nag`),
 * so the bench can synthesize the floor (none) and the floor plus one step:
 * `npx cdk synth --app "node --import tsx tools/bench/synth-app.ts bundling"`.
 */
import { App } from 'aws-cdk-lib';
import {
  addNagGate,
  enforceValidationReport,
  writeAcknowledgementReport,
} from '../../lib/compliance/nag-gate';
import { loadEnvironments, loadPipelineConfig } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline/pipeline-stack';

const steps = new Set(process.argv.slice(2));
const app = new App({
  builtinCloudFormationValidation: steps.has('validation'),
  // After the CLI's context, which asks for every stack to be bundled.
  postCliContext: steps.has('bundling') ? {} : { 'aws:cdk:bundling-stacks': [] },
});
new PipelineStack(app, 'PipelineStack', {
  pipelineConfig: loadPipelineConfig(app.node),
  environments: loadEnvironments(app.node),
});
if (steps.has('nag')) addNagGate(app);
const assembly = app.synth();
if (steps.has('nag')) writeAcknowledgementReport(app, assembly);
enforceValidationReport(assembly);
