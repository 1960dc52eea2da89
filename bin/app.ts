#!/usr/bin/env node
/**
 * The CDK app: `cdk deploy PipelineStack` once; from then on every git push deploys
 * dev -> staging -> (approval) -> prod through the self-mutating pipeline.
 */
import { App } from 'aws-cdk-lib';
import { addNagGate, enforceValidationReport, writeAcknowledgementReport } from '../lib/compliance/nag-gate';
import { loadEnvironments, loadPipelineConfig } from '../lib/config';
import { PipelineStack } from '../lib/pipeline/pipeline-stack';

// CloudFormation validation is aws-cdk-lib's built-in one: on unless `cdk synth --no-validation`.
const app = new App();

new PipelineStack(app, 'PipelineStack', {
  pipelineConfig: loadPipelineConfig(app.node),
  environments: loadEnvironments(app.node),
});

addNagGate(app);
const assembly = app.synth();
writeAcknowledgementReport(app, assembly);
enforceValidationReport(assembly);
