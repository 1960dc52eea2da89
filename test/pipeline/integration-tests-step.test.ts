import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as pipelines from 'aws-cdk-lib/pipelines';
import {
  ENVIRONMENT_NAMES,
  integrationTestsStepRoleName,
  loadEnvironments,
  loadPipelineConfig,
} from '../../lib/config';
import {
  INTEGRATION_TEST_API_KEY_ACTIONS,
  INTEGRATION_TEST_USER_POOL_ACTIONS,
  integrationTestRoleName,
} from '../../lib/constructs/integration-test-role';
import { INTEGRATION_TESTS_ENV } from '../../lib/pipeline/integration-tests-env';
import {
  INTEGRATION_TESTS_COMMAND,
  INTEGRATION_TESTS_NODEJS_VERSION,
  INTEGRATION_TESTS_REPORT_DIR,
  INTEGRATION_TESTS_REPORT_FILE,
  INTEGRATION_TESTS_REPORT_GROUP,
  INTEGRATION_TESTS_TIMEOUT,
  integrationTestsStep,
} from '../../lib/pipeline/integration-tests-step';
import { stageId } from '../../lib/pipeline/pipeline-stack';
import { AppStage } from '../../stages/app-stage';
import { testApp } from '../support/app';
import { pipelineTemplate, stageTemplate, type TemplateValue } from '../support/templates';

/**
 * The dev IntegrationTests step (Beta = dev) and its role, read from the PipelineStack's and the
 * dev ServerlessApi stack's templates the jest global setup synthesized.
 */
const ROOT = path.join(__dirname, '..', '..');
const { node } = testApp();
const environments = loadEnvironments(node);
const pipelineConfig = loadPipelineConfig(node);
const template = pipelineTemplate();
const devApi = stageTemplate('dev', 'ServerlessApi');

/** The logical id of the template's one resource of this type that matches the properties. */
function logicalIdIn(t: typeof devApi, type: string, properties: Record<string, unknown> = {}): string {
  const ids = Object.keys(t.findResources(type, { Properties: properties }));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

/** The key the suite reads: the API's generated key (the canary's key has a value of its own). */
const apiKeyLogicalId = logicalIdIn(devApi, 'AWS::ApiGateway::ApiKey', { Value: Match.absent() });

function actionsOf(stageName: string): TemplateValue[] {
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  return (pipeline!.Properties.Stages as TemplateValue[]).find((s) => s.Name === stageName)
    .Actions as TemplateValue[];
}
const action = (stageName: string, name: string): TemplateValue =>
  actionsOf(stageName).find((a) => a.Name === name);

const [, devProject] = Object.entries(template.findResources('AWS::CodeBuild::Project')).find(([id]) =>
  id.startsWith('PipelineDevIntegrationTests')
)!;
const devBuildSpec: TemplateValue = JSON.parse(devProject.Properties.Source.BuildSpec as string);

describe('the IntegrationTests step (Beta = dev)', () => {
  test('only dev runs it, as its config says; staging and prod have neither the step nor the role', () => {
    expect(ENVIRONMENT_NAMES.filter((name) => environments[name].integrationTests)).toEqual(['dev']);
    for (const env of ['staging', 'prod'] as const) {
      expect(actionsOf(stageId(env))).not.toContainEqual(
        expect.objectContaining({ Name: 'IntegrationTests' })
      );
      const api = stageTemplate(env, 'ServerlessApi');
      api.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: integrationTestRoleName(env) }, 0);
      expect(api.findOutputs('IntegrationTestRoleArn')).toEqual({});
    }
  });

  test('runs after every dev deploy action and after the health check', () => {
    const step = action('Dev', 'IntegrationTests');
    const deploys = actionsOf('Dev').filter((a) => a.ActionTypeId.Category === 'Deploy');
    expect(step.RunOrder).toBeGreaterThan(Math.max(...deploys.map((a) => a.RunOrder as number)));
    expect(step.RunOrder).toBeGreaterThan(action('Dev', 'HealthCheck').RunOrder as number);
  });

  test("reads the API URL, user pool, client, API key id and role from the dev ServerlessApi stack's outputs", () => {
    const namespace = action('Dev', 'ServerlessApi.Deploy').Namespace as string;
    const output = (name: string) => ({ type: 'PLAINTEXT', value: `#{${namespace}.${name}}` });
    const env = INTEGRATION_TESTS_ENV;
    expect(
      JSON.parse(action('Dev', 'IntegrationTests').Configuration.EnvironmentVariables as string)
    ).toEqual(
      expect.arrayContaining([
        { name: env.apiUrl, ...output('ApiUrl') },
        { name: env.userPoolId, ...output('UserPoolId') },
        { name: env.userPoolClientId, ...output('UserPoolClientId') },
        { name: env.apiKeyId, ...output('ApiKeyId') },
        { name: env.roleArn, ...output('IntegrationTestRoleArn') },
      ])
    );
    expect(
      JSON.parse(action('Dev', 'IntegrationTests').Configuration.EnvironmentVariables as string)
    ).toHaveLength(5);
    for (const name of ['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'ApiKeyId', 'IntegrationTestRoleArn']) {
      devApi.hasOutput(name, {});
    }
  });

  test('installs from the lockfile and runs only the integration suite, on the Node.js of the build', () => {
    expect(devBuildSpec.phases.install).toEqual({
      'runtime-versions': { nodejs: INTEGRATION_TESTS_NODEJS_VERSION },
      commands: ['npm ci --ignore-scripts --no-audit --no-fund'],
    });
    expect(devBuildSpec.phases.build.commands).toEqual([INTEGRATION_TESTS_COMMAND]);
    expect(devProject.Properties.TimeoutInMinutes).toBe(INTEGRATION_TESTS_TIMEOUT.toMinutes());

    // The script and its jest config select test/integration only.
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(INTEGRATION_TESTS_COMMAND).toBe('npm run test:integration');
    expect(scripts['test:integration']).toBe('jest --ci --config jest.integration.config.js');
  });

  test("publishes the suite's JUnit file as a CodeBuild report, where jest-junit writes it", () => {
    expect(devBuildSpec.reports).toEqual({
      [INTEGRATION_TESTS_REPORT_GROUP]: {
        files: [INTEGRATION_TESTS_REPORT_FILE],
        'base-directory': INTEGRATION_TESTS_REPORT_DIR,
        'file-format': 'JUNITXML',
      },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS jest config
    const jestConfig = require('../../jest.integration.config.js') as { reporters: unknown[] };
    expect(jestConfig.reporters).toContainEqual([
      'jest-junit',
      { outputDirectory: INTEGRATION_TESTS_REPORT_DIR, outputName: INTEGRATION_TESTS_REPORT_FILE },
    ]);
  });

  test("the step's role may assume the dev integration-test role, and no other role across accounts", () => {
    const roleId = devProject.Properties.ServiceRole['Fn::GetAtt'][0] as string;
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })
    ).flatMap((p): TemplateValue[] => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('sts:AssumeRole'))).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::${environments.dev.account}:role/${integrationTestRoleName('dev')}`,
      }),
    ]);
  });
});

describe('dev ServerlessApi: the integration-test role', () => {
  const roleLogicalId = () =>
    logicalIdIn(devApi, 'AWS::IAM::Role', { RoleName: integrationTestRoleName('dev') });

  test("is trusted by the dev IntegrationTests step's role only: the pipeline account on an aws:PrincipalArn condition", () => {
    devApi.hasResourceProperties('AWS::IAM::Role', {
      RoleName: integrationTestRoleName('dev'),
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${pipelineConfig.account}:root` },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': `arn:aws:iam::${pipelineConfig.account}:role/${integrationTestsStepRoleName('dev')}`,
              },
            },
          },
        ],
      },
    });
  });

  test("the role the trust names is the dev IntegrationTests step's CodeBuild role", () => {
    const roleId = devProject.Properties.ServiceRole['Fn::GetAtt'][0] as string;
    expect(template.toJSON().Resources[roleId].Properties.RoleName).toBe(integrationTestsStepRoleName('dev'));
  });

  test('no stage role trusts the pipeline account without a condition (its whole account)', () => {
    for (const env of ENVIRONMENT_NAMES) {
      for (const stack of ['ServerlessApi', 'Monitoring'] as const) {
        const unconditioned = Object.values(stageTemplate(env, stack).findResources('AWS::IAM::Role'))
          .flatMap((r): TemplateValue[] => r.Properties.AssumeRolePolicyDocument.Statement)
          .filter((s) => JSON.stringify(s.Principal ?? {}).includes(':root') && s.Condition === undefined);
        expect([env, stack, unconditioned]).toEqual([env, stack, []]);
      }
    }
  });

  test("may manage users of the API's user pool and read its API key, nothing else", () => {
    const policies = devApi.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId() }]) },
    });
    expect(
      Object.values(policies).flatMap((p): TemplateValue[] => p.Properties.PolicyDocument.Statement)
    ).toEqual([
      {
        Action: [...INTEGRATION_TEST_USER_POOL_ACTIONS].sort(),
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalIdIn(devApi, 'AWS::Cognito::UserPool'), 'Arn'] },
      },
      {
        Action: INTEGRATION_TEST_API_KEY_ACTIONS[0],
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [`arn:aws:apigateway:${environments.dev.region}::/apikeys/`, { Ref: apiKeyLogicalId }],
          ],
        },
      },
    ]);
  });

  test('its ARN and the API key id are outputs; the API key value never is', () => {
    devApi.hasOutput('IntegrationTestRoleArn', { Value: { 'Fn::GetAtt': [roleLogicalId(), 'Arn'] } });
    devApi.hasOutput('ApiKeyId', { Value: { Ref: apiKeyLogicalId } });
    devApi.hasResourceProperties('AWS::ApiGateway::ApiKey', { Value: Match.absent() });
  });
});

describe('a stage without the pipeline account', () => {
  // Construct objects, not templates: the step is built from the stage it is given.
  let stage: AppStage;
  let other: Stack;
  beforeAll(() => {
    const app = testApp();
    stage = new AppStage(app, 'Dev', { config: loadEnvironments(app.node).dev });
    other = new Stack(app, 'Pipeline');
  });

  test('throws when it runs integration tests but has no integration-test role', () => {
    expect(() =>
      integrationTestsStep({
        pipelineStack: other,
        stage,
        config: environments.dev,
        input: pipelines.CodePipelineSource.connection(pipelineConfig.repository, pipelineConfig.branch, {
          connectionArn: pipelineConfig.connectionArn,
        }),
      })
    ).toThrow('dev runs integration tests but its ServerlessApi stack has no integration-test role');
  });
});
