#!/usr/bin/env node
/**
 * The CDK app (cdk.json's `app`), the deployable entry point: `cdk deploy PipelineStack` once,
 * then every git push deploys dev → staging → (approval) → prod through the pipeline.
 *
 * CloudFormation validation's engine takes ~1.5 s to start, in its own process. It is started
 * first, and the app (./synth-app: aws-cdk-lib alone takes ~0.5 s to load) only then, so that the
 * engine starts while the app loads and builds its stacks. This module imports nothing else.
 */
import { ValidationProcess } from '../lib/compliance/validation-process';

// `cdk synth --no-validation` sets CDK_VALIDATION=false for the app.
const validationProcess = process.env.CDK_VALIDATION === 'false' ? undefined : new ValidationProcess();

import('./synth-app')
  .then(({ synthApp }) => synthApp(validationProcess))
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
