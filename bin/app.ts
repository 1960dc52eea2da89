#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { loadEnvironments, loadPipelineConfig } from '../lib/config';
import { addNagGate, enforceValidationReport } from '../lib/compliance/nag-gate';
import { PipelineStack } from '../lib/pipeline/pipeline-stack';

/**
 * The deployable entry point: `cdk deploy PipelineStack` once, then every git push deploys
 * dev → staging → (approval) → prod through the pipeline.
 */
const app = new App();

new PipelineStack(app, 'PipelineStack', {
  pipelineConfig: loadPipelineConfig(app.node),
  environments: loadEnvironments(app.node),
});

addNagGate(app);
enforceValidationReport(app.synth());
