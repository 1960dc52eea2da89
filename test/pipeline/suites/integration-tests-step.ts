import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../../../lib/config';
import {
  INTEGRATION_TEST_API_KEY_ACTIONS,
  INTEGRATION_TEST_USER_POOL_ACTIONS,
  integrationTestRoleName,
} from '../../../lib/constructs/integration-test-role';
import { INTEGRATION_TESTS_ENV } from '../../../lib/pipeline/integration-tests-env';
import {
  INTEGRATION_TESTS_COMMAND,
  INTEGRATION_TESTS_NODEJS_VERSION,
  INTEGRATION_TESTS_REPORT_DIR,
  INTEGRATION_TESTS_REPORT_FILE,
  INTEGRATION_TESTS_REPORT_GROUP,
  INTEGRATION_TESTS_TIMEOUT,
  integrationTestsStep,
} from '../../../lib/pipeline/integration-tests-step';
import { stageId } from '../../../lib/pipeline/pipeline-stack';
import { AppStage } from '../../../stages/app-stage';
import { testApp } from '../../support/app';

import { type PipelineFixture } from './pipeline-fixture';

interface Action {
  Name: string;
  ActionTypeId: { Category: string };
  RunOrder: number;
  Namespace?: string;
  Configuration?: Record<string, unknown>;
}

/**
 * The dev IntegrationTests step (Beta = dev) and its role, on the PipelineStack that
 * test/pipeline/pipeline-stack.test.ts builds once.
 */
export function describeIntegrationTestsStep({
  stack,
  template,
  environments,
  pipelineConfig,
}: PipelineFixture): void {
  const devApi = Template.fromStack(stack.stages.dev.api);
  /** The key the suite reads (the usage plan's generated key; the canary has its own). */
  const apiKeyLogicalId = stack.stages.dev.api.getLogicalId(
    stack.stages.dev.api.apiKey.node.defaultChild as CfnElement
  );
  /** The logical id of the template's one resource of this type. */
  const logicalIdOf = (type: string): string => {
    const ids = Object.keys(devApi.findResources(type));
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };

  const pipelineStages = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0]!.Properties
    .Stages as Array<{ Name: string; Actions: Action[] }>;
  const actionsOf = (name: string): Action[] => pipelineStages.find((s) => s.Name === name)!.Actions;
  const projects = template.findResources('AWS::CodeBuild::Project');
  const [, devProject] = Object.entries(projects).find(([id]) =>
    id.startsWith('PipelineDevIntegrationTests')
  )!;

  describe('the IntegrationTests step (Beta = dev)', () => {
    test('only dev runs it, as its config says; staging and prod have neither the step nor the role', () => {
      expect(ENVIRONMENT_NAMES.filter((name) => environments[name].integrationTests)).toEqual(['dev']);
      for (const name of ['staging', 'prod'] as const) {
        expect(actionsOf(stageId(name)).map((a) => a.Name)).not.toContain('IntegrationTests');
        expect(stack.stages[name].api.integrationTestRole).toBeUndefined();
        expect(stack.stages[name].api.integrationTestRoleArnOutput).toBeUndefined();
      }
    });

    test('runs after every dev deploy action and after the health check', () => {
      const actions = actionsOf('Dev');
      const step = actions.find((a) => a.Name === 'IntegrationTests')!;
      const lastDeploy = Math.max(
        ...actions.filter((a) => a.ActionTypeId.Category === 'Deploy').map((a) => a.RunOrder)
      );
      expect(step.RunOrder).toBeGreaterThan(lastDeploy);
      expect(step.RunOrder).toBeGreaterThan(actions.find((a) => a.Name === 'HealthCheck')!.RunOrder);
    });

    test("reads the API URL, user pool, client, API key id and role from the dev ServerlessApi stack's outputs", () => {
      const actions = actionsOf('Dev');
      const step = actions.find((a) => a.Name === 'IntegrationTests')!;
      const namespace = actions.find((a) => a.Name === 'ServerlessApi.Deploy')!.Namespace;
      const output = (name: string) => ({ type: 'PLAINTEXT', value: `#{${namespace}.${name}}` });
      const env = INTEGRATION_TESTS_ENV;
      expect(
        (JSON.parse(step.Configuration!.EnvironmentVariables as string) as Array<{ name: string }>).sort(
          (a, b) => a.name.localeCompare(b.name)
        )
      ).toEqual(
        [
          { name: env.apiUrl, ...output('ApiUrl') },
          { name: env.userPoolId, ...output('UserPoolId') },
          { name: env.userPoolClientId, ...output('UserPoolClientId') },
          { name: env.apiKeyId, ...output('ApiKeyId') },
          { name: env.roleArn, ...output('IntegrationTestRoleArn') },
        ].sort((a, b) => a.name.localeCompare(b.name))
      );
      for (const name of ['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'ApiKeyId', 'IntegrationTestRoleArn']) {
        devApi.hasOutput(name, {});
      }
    });

    test('installs from the lockfile and runs only the integration suite, on the Node.js of the build', () => {
      const spec = JSON.parse((devProject.Properties.Source as { BuildSpec: string }).BuildSpec) as {
        phases: { install: unknown; build: { commands: string[] } };
      };
      expect(spec.phases.install).toEqual({
        'runtime-versions': { nodejs: INTEGRATION_TESTS_NODEJS_VERSION },
        commands: ['npm ci --ignore-scripts --no-audit --no-fund'],
      });
      expect(spec.phases.build.commands).toEqual([INTEGRATION_TESTS_COMMAND]);
      expect(devProject.Properties.TimeoutInMinutes).toBe(INTEGRATION_TESTS_TIMEOUT.toMinutes());

      // The script and its jest config select test/integration only.
      const packageJson = JSON.parse(
        fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')
      ) as {
        scripts: Record<string, string>;
      };
      expect(INTEGRATION_TESTS_COMMAND).toBe('npm run test:integration');
      expect(packageJson.scripts['test:integration']).toBe('jest --ci --config jest.integration.config.js');
    });

    test("publishes the suite's JUnit file as a CodeBuild report, where jest-junit writes it", () => {
      const spec = JSON.parse((devProject.Properties.Source as { BuildSpec: string }).BuildSpec) as {
        reports: Record<string, unknown>;
      };
      expect(spec.reports).toEqual({
        [INTEGRATION_TESTS_REPORT_GROUP]: {
          files: [INTEGRATION_TESTS_REPORT_FILE],
          'base-directory': INTEGRATION_TESTS_REPORT_DIR,
          'file-format': 'JUNITXML',
        },
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS jest config
      const jestConfig = require('../../../jest.integration.config.js') as { reporters: unknown[] };
      expect(jestConfig.reporters).toContainEqual([
        'jest-junit',
        { outputDirectory: INTEGRATION_TESTS_REPORT_DIR, outputName: INTEGRATION_TESTS_REPORT_FILE },
      ]);
    });

    test("the step's role may assume the dev integration-test role, and no other role across accounts", () => {
      const roleId = (devProject.Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })[
        'Fn::GetAtt'
      ][0];
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap(
          (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>
        );
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('sts:AssumeRole'))).toEqual([
        expect.objectContaining({
          Action: 'sts:AssumeRole',
          Resource: `arn:aws:iam::${environments.dev.account}:role/${integrationTestRoleName('dev')}`,
        }),
      ]);
    });
  });

  describe('dev ServerlessApi: the integration-test role', () => {
    const roleLogicalId = (): string => {
      const roles = devApi.findResources('AWS::IAM::Role', {
        Properties: { RoleName: integrationTestRoleName('dev') },
      });
      expect(Object.keys(roles)).toHaveLength(1);
      return Object.keys(roles)[0]!;
    };

    test('is trusted by the pipeline account only', () => {
      devApi.hasResourceProperties('AWS::IAM::Role', {
        RoleName: integrationTestRoleName('dev'),
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${pipelineConfig.account}:root` },
            },
          ],
        },
      });
    });

    test("may manage users of the API's user pool and read its API key, nothing else", () => {
      const roleId = roleLogicalId();
      const policies = Object.values(devApi.findResources('AWS::IAM::Policy')).filter((p) =>
        (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId)
      );
      const userPoolId = logicalIdOf('AWS::Cognito::UserPool');

      expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement as unknown[])).toEqual([
        {
          Action: [...INTEGRATION_TEST_USER_POOL_ACTIONS].sort(),
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [userPoolId, 'Arn'] },
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

  test('throws when a stage that runs integration tests has no integration-test role (no pipeline account)', () => {
    const other = testApp();
    const config = loadEnvironments(other.node).dev;
    const stage = new AppStage(other, 'Dev', { config });
    expect(() =>
      integrationTestsStep({
        pipelineStack: new Stack(other, 'Pipeline'),
        stage,
        config,
        input: pipelines.CodePipelineSource.connection(pipelineConfig.repository, pipelineConfig.branch, {
          connectionArn: pipelineConfig.connectionArn,
        }),
      })
    ).toThrow('dev runs integration tests but its ServerlessApi stack has no integration-test role');
  });
}
