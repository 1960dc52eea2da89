import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments, loadPipelineConfig } from '../../lib/config';
import {
  BAKE_NODEJS_VERSION,
  BAKE_SCRIPT,
  BAKE_STEP_TIMEOUT_MARGIN,
  PipelineStack,
  HEALTH_CHECK_SCRIPT,
  PROD_APPROVAL_COMMENT,
} from '../../lib/pipeline/pipeline-stack';
import { bakeRoleName } from '../../lib/stacks/monitoring-stack';
import { parseBuildSpec } from '../../lib/pipeline/synth-step';
import { testApp } from '../support/app';
import { describeAppNag } from './suites/app-nag';
import { describeIntegrationTestsStep } from './suites/integration-tests-step';
import { describeNotifications } from './suites/notifications';

const app = testApp();
const environments = loadEnvironments(app.node);
const pipelineConfig = loadPipelineConfig(app.node);
// Built once for this file and the suites in ./suites (notifications, the dev integration tests,
// cdk-nag over every stack).
const stack = new PipelineStack(app, 'PipelineStack', { pipelineConfig, environments });
const template = Template.fromStack(stack);
const fixture = { stack, template, environments, pipelineConfig };

interface Action {
  Name: string;
  ActionTypeId: { Category: string; Provider: string };
  RunOrder: number;
  Namespace?: string;
  RoleArn?: unknown;
  Configuration?: Record<string, unknown>;
}
interface PipelineStage {
  Name: string;
  Actions: Action[];
}

const pipelineResource = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0]!;
const stages = pipelineResource.Properties.Stages as PipelineStage[];
const stage = (name: string) => stages.find((s) => s.Name === name)!;
const projects = template.findResources('AWS::CodeBuild::Project');
const projectBuildSpec = (logicalIdPrefix: string): Record<string, unknown> => {
  const [, project] = Object.entries(projects).find(([id]) => id.startsWith(logicalIdPrefix))!;
  return JSON.parse((project.Properties.Source as { BuildSpec: string }).BuildSpec) as Record<
    string,
    unknown
  >;
};

test('runs Source, Build, UpdatePipeline, Assets, Dev, Staging, Prod in that order', () => {
  expect(stages.map((s) => s.Name)).toEqual([
    'Source',
    'Build',
    'UpdatePipeline',
    'Assets',
    'Dev',
    'Staging',
    'Prod',
  ]);
});

test('is a V2 pipeline named from config, restarted when it mutates itself', () => {
  expect(pipelineResource.Properties).toMatchObject({
    PipelineType: 'V2',
    Name: pipelineConfig.pipelineName,
    RestartExecutionOnUpdate: true,
  });
  expect(stage('UpdatePipeline').Actions.map((a) => a.Name)).toEqual(['SelfMutate']);
});

test('is triggered by a push to the configured branch through the CodeConnections connection', () => {
  const [source] = stage('Source').Actions;
  expect(source!.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
  expect(source!.Configuration).toMatchObject({
    ConnectionArn: pipelineConfig.connectionArn,
    FullRepositoryId: pipelineConfig.repository,
    BranchName: pipelineConfig.branch,
    DetectChanges: true,
  });
});

test('encrypts artifacts with a rotating KMS key (cross-account deployments)', () => {
  template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  expect(JSON.stringify(pipelineResource.Properties.ArtifactStore)).toMatch(/EncryptionKey/);
});

test("feeds the pipeline's own execution state changes to the delivery metrics, shown on a dashboard", () => {
  const { deliveryMetrics } = stack;
  const ruleId = stack.getLogicalId(deliveryMetrics.rule.node.defaultChild as CfnElement);
  const rule = template.toJSON().Resources[ruleId] as {
    Properties: { EventPattern: Record<string, unknown> };
  };
  const [pipelineId] = Object.keys(template.findResources('AWS::CodePipeline::Pipeline'));
  expect(JSON.stringify(rule.Properties.EventPattern.resources)).toContain(pipelineId);
  expect(rule.Properties.EventPattern['detail-type']).toEqual([
    'CodePipeline Pipeline Execution State Change',
  ]);
  template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
    DashboardName: `${pipelineConfig.pipelineName}-delivery-metrics`,
  });
  template.resourceCountIs('AWS::DynamoDB::Table', 1);
});

test('publishes all assets in one job', () => {
  expect(stage('Assets').Actions.map((a) => a.Name)).toEqual(['FileAssets']);
});

describe('synth step', () => {
  const fromFile = parseBuildSpec();
  const spec = projectBuildSpec('PipelineBuildSynthCdkBuildProject') as {
    phases: Record<string, { commands?: string[]; 'runtime-versions'?: Record<string, unknown> }>;
    reports?: Record<string, unknown>;
    cache?: { paths: string[] };
  };

  test("runs buildspec.yml's install and build commands, the tests before the synth", () => {
    expect(spec.phases.install?.commands).toEqual(fromFile.installCommands);
    expect(spec.phases.build?.commands).toEqual(fromFile.commands);
    const commands = spec.phases.build!.commands!;
    expect(commands.indexOf('npm test')).toBeGreaterThanOrEqual(0);
    expect(commands.indexOf('npm test')).toBeLessThan(commands.findIndex((c) => c.includes('cdk synth')));
    expect(spec.phases.install?.commands).toContain('npm ci --no-audit --no-fund');
  });

  test('publishes the JUnit report and caches npm, as buildspec.yml says', () => {
    expect(spec.reports).toEqual(fromFile.partialBuildSpec.reports);
    expect(spec.reports).toMatchObject({
      'unit-tests': { files: ['junit.xml'], 'base-directory': 'test-reports', 'file-format': 'JUNITXML' },
    });
    expect(spec.cache?.paths).toContain('/root/.npm/**/*');
    expect(spec.phases.install?.['runtime-versions']).toMatchObject({ nodejs: 22 });
  });

  test('rejects a buildspec.yml whose build does not synthesize', () => {
    expect(() => parseBuildSpec('version: 0.2\nphases:\n  build:\n    commands: [npm test]\n')).toThrow(
      /phases.build.commands must run 'cdk synth'/
    );
  });
});

const stageName = (env: 'dev' | 'staging' | 'prod') => env.charAt(0).toUpperCase() + env.slice(1);

describe('stages', () => {
  const accounts = {
    Dev: environments.dev.account,
    Staging: environments.staging.account,
    Prod: environments.prod.account,
  };

  test.each(Object.entries(accounts))(
    '%s deploys with the deploy role of its own account',
    (name, account) => {
      const deploys = stage(name).Actions.filter((a) => a.ActionTypeId.Category === 'Deploy');
      expect(deploys.length).toBeGreaterThanOrEqual(6);
      for (const action of deploys) {
        expect(JSON.stringify(action.RoleArn)).toContain(
          `:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-`
        );
      }
      for (const other of Object.values(accounts).filter((a) => a !== account)) {
        expect(JSON.stringify(stage(name).Actions)).not.toContain(other);
      }
    }
  );

  test('a manual approval precedes every prod deploy action, and only prod has one', () => {
    const prod = stage('Prod').Actions;
    const approvals = prod.filter((a) => a.ActionTypeId.Category === 'Approval');
    expect(approvals).toHaveLength(1);
    expect(approvals[0]!.Configuration).toMatchObject({ CustomData: PROD_APPROVAL_COMMENT });
    const firstDeploy = Math.min(
      ...prod.filter((a) => a.ActionTypeId.Category === 'Deploy').map((a) => a.RunOrder)
    );
    expect(approvals[0]!.RunOrder).toBeLessThan(firstDeploy);
    for (const name of ['Dev', 'Staging']) {
      expect(stage(name).Actions.some((a) => a.ActionTypeId.Category === 'Approval')).toBe(false);
    }
  });

  test.each(['Dev', 'Staging', 'Prod'])(
    '%s: a health check follows every deploy action and reads its ApiUrl',
    (name) => {
      const actions = stage(name).Actions;
      const check = actions.find((a) => a.Name === 'HealthCheck')!;
      const lastDeploy = Math.max(
        ...actions.filter((a) => a.ActionTypeId.Category === 'Deploy').map((a) => a.RunOrder)
      );
      expect(check.RunOrder).toBeGreaterThan(lastDeploy);
      const apiDeploy = actions.find((a) => a.Name === 'ServerlessApi.Deploy')!;
      expect(apiDeploy.Namespace).toBeDefined();
      expect(JSON.parse(check.Configuration!.EnvironmentVariables as string)).toEqual(
        expect.arrayContaining([
          { name: 'API_URL', type: 'PLAINTEXT', value: `#{${apiDeploy.Namespace}.ApiUrl}` },
        ])
      );
      const spec = projectBuildSpec(`Pipeline${name}HealthCheck`) as {
        phases: { build: { commands: string[] } };
      };
      expect(spec.phases.build.commands).toEqual([`node ${HEALTH_CHECK_SCRIPT}`]);
    }
  );

  test('prod bakes after its health check: the Bake step watches the prod- alarms for the configured time', () => {
    const actions = stage('Prod').Actions;
    const check = actions.find((a) => a.Name === 'HealthCheck')!;
    const bake = actions.find((a) => a.Name === 'Bake')!;
    expect(bake.RunOrder).toBeGreaterThan(check.RunOrder);
    const monitoringDeploy = actions.find((a) => a.Name === 'Monitoring.Deploy')!;
    expect(JSON.parse(bake.Configuration!.EnvironmentVariables as string)).toEqual([
      { name: 'BAKE_ROLE_ARN', type: 'PLAINTEXT', value: `#{${monitoringDeploy.Namespace}.BakeRoleArn}` },
    ]);
    const [, project] = Object.entries(projects).find(([id]) => id.startsWith('PipelineProdBake'))!;
    expect(
      (project.Properties.Environment as { EnvironmentVariables: unknown }).EnvironmentVariables
    ).toEqual([
      { Name: 'BAKE_REGION', Type: 'PLAINTEXT', Value: environments.prod.region },
      { Name: 'BAKE_ALARM_PREFIX', Type: 'PLAINTEXT', Value: 'prod-' },
      { Name: 'BAKE_DURATION_SECONDS', Type: 'PLAINTEXT', Value: '600' },
    ]);
    expect(environments.prod.bakeTime.toMinutes()).toBe(10);
    const spec = projectBuildSpec('PipelineProdBake') as {
      phases: { install: { commands: string[]; 'runtime-versions': unknown }; build: { commands: string[] } };
    };
    expect(spec.phases.install).toEqual({
      'runtime-versions': { nodejs: BAKE_NODEJS_VERSION },
      commands: ['npm ci --ignore-scripts --no-audit --no-fund'],
    });
    expect(spec.phases.build.commands).toEqual([`npx tsx ${BAKE_SCRIPT}`]);
    expect(project.Properties.TimeoutInMinutes).toBe(
      environments.prod.bakeTime.plus(BAKE_STEP_TIMEOUT_MARGIN).toMinutes()
    );
  });

  test('dev and staging have no bake time and no Bake step', () => {
    for (const name of ['dev', 'staging'] as const) {
      expect(environments[name].bakeTime.toSeconds()).toBe(0);
      expect(stage(stageName(name)).Actions.map((a) => a.Name)).not.toContain('Bake');
      expect(stack.stages[name].monitoring.bakeRole).toBeUndefined();
    }
  });

  test("the Bake step's role may assume the prod bake role, and nothing else across accounts", () => {
    const [, project] = Object.entries(projects).find(([id]) => id.startsWith('PipelineProdBake'))!;
    const roleId = (project.Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>);
    const assumes = statements.filter((st) => JSON.stringify(st.Action).includes('sts:AssumeRole'));
    expect(assumes).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::${environments.prod.account}:role/${bakeRoleName('prod')}`,
      }),
    ]);
  });

  test('prod Monitoring has the bake role: trusted by the pipeline account, reads alarms only, output as BakeRoleArn', () => {
    const monitoring = Template.fromStack(stack.stages.prod.monitoring);
    monitoring.hasResourceProperties('AWS::IAM::Role', {
      RoleName: bakeRoleName('prod'),
      MaxSessionDuration: 3600,
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
    monitoring.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: '*' }],
      },
    });
    monitoring.hasOutput('BakeRoleArn', {});
  });

  test('prod stacks have termination protection; dev and staging stacks do not', () => {
    const stacksOf = (s: typeof stack.stages.dev) =>
      s.node.children.filter((c): c is Stack => Stack.isStack(c));
    expect(stacksOf(stack.stages.prod).length).toBeGreaterThanOrEqual(3);
    stacksOf(stack.stages.prod).forEach((s) => expect(s.terminationProtection).toBe(true));
    [...stacksOf(stack.stages.dev), ...stacksOf(stack.stages.staging)].forEach((s) =>
      expect(s.terminationProtection).toBe(false)
    );
  });
});

describe('environment matrix, read from the synthesized templates of the three stages', () => {
  type Resources = Record<
    string,
    { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }
  >;
  const resources = (s: Stack) => Template.fromStack(s).toJSON().Resources as Resources;
  const ofType = (s: Stack, type: string) => Object.entries(resources(s)).filter(([, r]) => r.Type === type);
  const one = (s: Stack, type: string, prefix = '') =>
    ofType(s, type).find(([id]) => id.startsWith(prefix))![1];

  function row(name: 'dev' | 'staging' | 'prod') {
    const { networking, database, api } = stack.stages[name];
    const primary = one(database, 'AWS::RDS::DBInstance', 'PrimaryDatabase');
    const replica = one(database, 'AWS::RDS::DBInstance', 'ReadReplica');
    const apiStage = one(api, 'AWS::ApiGateway::Stage').Properties!;
    const options = ofType(api, 'AWS::ApiGateway::Method')
      .map(([, r]) => r.Properties!)
      .find((p) => p.HttpMethod === 'OPTIONS')!;
    const corsOrigin = JSON.stringify(options.Integration).match(
      /Access-Control-Allow-Origin":"'([^']+)'/
    )?.[1];
    return {
      natGateways: ofType(networking, 'AWS::EC2::NatGateway').length,
      dbClass: primary.Properties!.DBInstanceClass,
      replicaClass: replica.Properties!.DBInstanceClass,
      multiAz: primary.Properties!.MultiAZ,
      dbDeletionProtection: primary.Properties!.DeletionProtection,
      dbOnDelete: primary.DeletionPolicy,
      tableOnDelete: one(api, 'AWS::DynamoDB::Table').DeletionPolicy,
      logStatement: (
        one(database, 'AWS::RDS::DBParameterGroup').Properties!.Parameters as Record<string, string>
      ).log_statement,
      apiCache: apiStage.CacheClusterEnabled,
      dataTrace: (apiStage.MethodSettings as Array<{ DataTraceEnabled: boolean }>)[0]!.DataTraceEnabled,
      corsOrigin,
      redisAuthFromSecret: JSON.stringify(
        one(database, 'AWS::ElastiCache::ReplicationGroup').Properties!.AuthToken
      ).includes('{{resolve:secretsmanager:'),
    };
  }

  test('differs per environment exactly as the config module says', () => {
    expect({ dev: row('dev'), staging: row('staging'), prod: row('prod') }).toEqual({
      dev: {
        natGateways: 1,
        dbClass: 'db.t3.micro',
        replicaClass: 'db.t3.micro',
        multiAz: false,
        dbDeletionProtection: false,
        dbOnDelete: 'Delete',
        tableOnDelete: 'Delete',
        logStatement: 'all',
        apiCache: false,
        dataTrace: true,
        corsOrigin: environments.dev.api.corsOrigins[0],
        redisAuthFromSecret: true,
      },
      staging: {
        natGateways: 1,
        dbClass: 'db.t3.small',
        replicaClass: 'db.t3.small',
        multiAz: true,
        dbDeletionProtection: false,
        dbOnDelete: 'Snapshot',
        tableOnDelete: 'Delete',
        logStatement: 'ddl',
        apiCache: true,
        dataTrace: false,
        corsOrigin: environments.staging.api.corsOrigins[0],
        redisAuthFromSecret: true,
      },
      prod: {
        natGateways: 3,
        dbClass: 'db.t3.medium',
        replicaClass: 'db.t3.small',
        multiAz: true,
        dbDeletionProtection: true,
        dbOnDelete: 'Snapshot',
        tableOnDelete: 'Retain',
        logStatement: 'ddl',
        apiCache: true,
        dataTrace: false,
        corsOrigin: environments.prod.api.corsOrigins[0],
        redisAuthFromSecret: true,
      },
    });
  });
});

describe('notifications', () => describeNotifications(fixture));
describe('dev integration tests', () => describeIntegrationTestsStep(fixture));
describe('cdk-nag over the pipeline and every stage', () => describeAppNag(fixture));
