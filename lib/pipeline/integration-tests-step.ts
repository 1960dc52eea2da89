import { Duration, type Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { type EnvironmentConfig } from '../config';
import { integrationTestRoleName } from '../constructs/integration-test-role';
import { type AppStage } from '../../stages/app-stage';
import { INTEGRATION_TESTS_ENV } from './integration-tests-env';

/** The npm script that runs test/integration/ only (jest.integration.config.js). */
export const INTEGRATION_TESTS_COMMAND = 'npm run test:integration';
/** Where jest-junit writes the suite's report (jest.integration.config.js), for the CodeBuild report. */
export const INTEGRATION_TESTS_REPORT_DIR = 'test-reports';
export const INTEGRATION_TESTS_REPORT_FILE = 'integration-junit.xml';
/** The CodeBuild report group's name suffix (CodeBuild names it `<project>-<this>`). */
export const INTEGRATION_TESTS_REPORT_GROUP = 'integration-tests';
/** The Node.js of the synth step (package.json engines), not the image's default. */
export const INTEGRATION_TESTS_NODEJS_VERSION = 22;
/** `npm ci` and a suite of a few dozen HTTP calls; anything longer is hung. */
export const INTEGRATION_TESTS_TIMEOUT = Duration.minutes(15);

export interface IntegrationTestsStepProps {
  /** The pipeline's stack: the step's role lives there. */
  readonly pipelineStack: Stack;
  readonly stage: AppStage;
  readonly config: EnvironmentConfig;
  /** The repository checkout: the suite and package-lock.json. */
  readonly input: pipelines.IFileSetProducer;
}

/**
 * Where the config asks for integration tests: after the stage deploys, runs the integration suite
 * against its API with the stage's outputs, publishing a JUnit report. The suite assumes the
 * stage's integration-test role to make (and delete) its short-lived users and read the API key.
 */
export function integrationTestsStep(props: IntegrationTestsStepProps): pipelines.CodeBuildStep | undefined {
  const { stage, config } = props;
  if (!config.integrationTests) return undefined;
  const api = stage.api;
  if (!api.integrationTestRoleArnOutput) {
    throw new Error(
      `${config.name} runs integration tests but its ServerlessApi stack has no integration-test role ` +
        '(is the stage missing pipelineAccount?)'
    );
  }
  const env = INTEGRATION_TESTS_ENV;
  return new pipelines.CodeBuildStep('IntegrationTests', {
    input: props.input,
    envFromCfnOutputs: {
      [env.apiUrl]: stage.apiUrl,
      [env.userPoolId]: api.userPoolIdOutput,
      [env.userPoolClientId]: api.userPoolClientIdOutput,
      [env.apiKeyId]: api.apiKeyIdOutput,
      [env.roleArn]: api.integrationTestRoleArnOutput,
    },
    partialBuildSpec: codebuild.BuildSpec.fromObject({
      phases: { install: { 'runtime-versions': { nodejs: INTEGRATION_TESTS_NODEJS_VERSION } } },
      reports: {
        [INTEGRATION_TESTS_REPORT_GROUP]: {
          files: [INTEGRATION_TESTS_REPORT_FILE],
          'base-directory': INTEGRATION_TESTS_REPORT_DIR,
          'file-format': 'JUNITXML',
        },
      },
    }),
    // jest, swc and the SDK clients from the lockfile; no install scripts are needed to run them.
    installCommands: ['npm ci --ignore-scripts --no-audit --no-fund'],
    commands: [INTEGRATION_TESTS_COMMAND],
    timeout: INTEGRATION_TESTS_TIMEOUT,
    rolePolicyStatements: [
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [
          props.pipelineStack.formatArn({
            service: 'iam',
            region: '',
            account: config.account,
            resource: 'role',
            resourceName: integrationTestRoleName(config.name),
          }),
        ],
      }),
    ],
  });
}
