#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../lib/config';
import { addNagGate, enforceValidationReport } from '../lib/compliance/nag-gate';
import { AppStage } from '../stages/app-stage';

const app = new App();
const environments = loadEnvironments(app.node);

for (const name of ENVIRONMENT_NAMES) {
  const config = environments[name];
  new AppStage(app, stageId(name), { config });
}

addNagGate(app);
enforceValidationReport(app.synth());

function stageId(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
