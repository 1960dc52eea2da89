import { Capture, Match } from 'aws-cdk-lib/assertions';
import {
  bakeRoleName,
  bakeStepRoleName,
  ENVIRONMENT_NAMES,
  loadEnvironments,
  loadPipelineConfig,
} from '../../lib/config';
import {
  BAKE_NODEJS_VERSION,
  BAKE_SCRIPT,
  BAKE_STEP_TIMEOUT_MARGIN,
  HEALTH_CHECK_SCRIPT,
  stageId,
} from '../../lib/pipeline/pipeline-stack';
import { DESCRIBE_ALARMS_MAX_NAMES } from '../../lib/pipeline/scripts/bake';
import { parseBuildSpec } from '../../lib/pipeline/synth-step';
import { testApp } from '../support/app';
import { pipelineTemplate, stageStacks, stageTemplate, type TemplateValue } from '../support/templates';

/**
 * The PipelineStack as bin/app.ts builds it, read from the assembly the jest global setup
 * synthesized: stage order, source, approval, health checks, bake, accounts, and the environment
 * matrix of the stages it deploys. Its notifications, the dev integration tests and cdk-nag have
 * their own files (notifications.test.ts, integration-tests-step.test.ts, test/nag/).
 */
const { node } = testApp();
const environments = loadEnvironments(node);
const pipelineConfig = loadPipelineConfig(node);
const template = pipelineTemplate();

/** The pipeline's stages, in order, as CloudFormation has them. */
const stagesCapture = new Capture();
template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Stages: stagesCapture });
const stages = stagesCapture.asArray();

/** The actions of one pipeline stage. */
function actionsOf(stageName: string): TemplateValue[] {
  const actions = new Capture();
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
    Stages: Match.arrayWith([{ Name: stageName, Actions: actions }]),
  });
  return actions.asArray();
}
const action = (stageName: string, name: string): TemplateValue =>
  actionsOf(stageName).find((a) => a.Name === name);
/** The run orders of a stage's actions of one category (Deploy, Approval, ...). */
const runOrders = (stageName: string, category: string): number[] =>
  actionsOf(stageName)
    .filter((a) => a.ActionTypeId.Category === category)
    .map((a) => a.RunOrder as number);

/** The CodeBuild project whose logical id starts with the prefix: [logical id, resource]. */
function projectOf(logicalIdPrefix: string): [string, TemplateValue] {
  const found = Object.entries(template.findResources('AWS::CodeBuild::Project')).filter(([id]) =>
    id.startsWith(logicalIdPrefix)
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}
const buildSpecOf = (logicalIdPrefix: string): TemplateValue =>
  JSON.parse(projectOf(logicalIdPrefix)[1].Properties.Source.BuildSpec as string);

test('runs Source, Build, UpdatePipeline, Assets, Dev, Staging, Prod in that order', () => {
  expect(stages.map((s): TemplateValue => s.Name)).toEqual([
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
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
    PipelineType: 'V2',
    Name: pipelineConfig.pipelineName,
    RestartExecutionOnUpdate: true,
    Stages: Match.arrayWith([
      { Name: 'UpdatePipeline', Actions: [Match.objectLike({ Name: 'SelfMutate' })] },
    ]),
  });
});

test('is triggered by a push to the configured branch through the CodeConnections connection', () => {
  expect(actionsOf('Source')).toEqual([
    expect.objectContaining({
      ActionTypeId: expect.objectContaining({ Category: 'Source', Provider: 'CodeStarSourceConnection' }),
      Configuration: expect.objectContaining({
        ConnectionArn: pipelineConfig.connectionArn,
        FullRepositoryId: pipelineConfig.repository,
        BranchName: pipelineConfig.branch,
        DetectChanges: true,
      }),
    }),
  ]);
});

test('encrypts artifacts with a rotating KMS key (cross-account deployments)', () => {
  const key = new Capture();
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
    ArtifactStore: { Type: 'S3', EncryptionKey: { Type: 'KMS', Id: { 'Fn::GetAtt': [key, 'Arn'] } } },
  });
  expect(template.findResources('AWS::KMS::Key')[key.asString()]!.Properties.EnableKeyRotation).toBe(true);
});

test("feeds the pipeline's own execution state changes to the delivery metrics, shown on a dashboard", () => {
  const [pipelineId] = Object.keys(template.findResources('AWS::CodePipeline::Pipeline'));
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      resources: [{ 'Fn::Join': ['', Match.arrayWith([{ Ref: pipelineId }])] }],
    },
  });
  template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
    DashboardName: `${pipelineConfig.pipelineName}-delivery-metrics`,
  });
  template.resourceCountIs('AWS::DynamoDB::Table', 1);
});

test('publishes all assets in one job', () => {
  expect(actionsOf('Assets')).toEqual([expect.objectContaining({ Name: 'FileAssets' })]);
});

describe('synth step', () => {
  const fromFile = parseBuildSpec();
  const spec = buildSpecOf('PipelineBuildSynthCdkBuildProject');

  test("runs buildspec.yml's install and build commands, the tests before the synth", () => {
    expect(spec.phases.install?.commands).toEqual(fromFile.installCommands);
    expect(spec.phases.build?.commands).toEqual(fromFile.commands);
    const commands = spec.phases.build.commands as string[];
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

  test('throws when buildspec.yml does not synthesize', () => {
    expect(() => parseBuildSpec('version: 0.2\nphases:\n  build:\n    commands: [npm test]\n')).toThrow(
      /phases.build.commands must run 'cdk synth'/
    );
  });
});

describe('stages', () => {
  const accounts = Object.fromEntries(
    ENVIRONMENT_NAMES.map((env) => [stageId(env), environments[env].account])
  );

  test.each(Object.entries(accounts))(
    '%s deploys with the deploy role of its own account',
    (name, account) => {
      const deploys = actionsOf(name).filter((a) => a.ActionTypeId.Category === 'Deploy');
      expect(deploys.length).toBeGreaterThanOrEqual(6);
      for (const deploy of deploys) {
        expect(JSON.stringify(deploy.RoleArn)).toContain(
          `:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-`
        );
      }
      for (const other of Object.values(accounts).filter((a) => a !== account)) {
        expect(JSON.stringify(actionsOf(name))).not.toContain(other);
      }
    }
  );

  test('a manual approval precedes every prod deploy action, and only prod has one', () => {
    expect(runOrders('Prod', 'Approval')).toHaveLength(1);
    // Its comment and review URL: test/pipeline/change-review-step.test.ts.
    expect(action('Prod', 'PromoteToProd').Configuration.CustomData).toContain('Approve commit #{');
    expect(runOrders('Prod', 'Approval')[0]).toBeLessThan(Math.min(...runOrders('Prod', 'Deploy')));
    for (const name of ['Dev', 'Staging']) expect(runOrders(name, 'Approval')).toEqual([]);
  });

  test.each(['Dev', 'Staging', 'Prod'])(
    '%s: a health check follows every deploy action and reads its ApiUrl',
    (name) => {
      const check = action(name, 'HealthCheck');
      expect(check.RunOrder).toBeGreaterThan(Math.max(...runOrders(name, 'Deploy')));
      const namespace = action(name, 'ServerlessApi.Deploy').Namespace as string;
      expect(namespace).toBeDefined();
      expect(JSON.parse(check.Configuration.EnvironmentVariables as string)).toEqual(
        expect.arrayContaining([{ name: 'API_URL', type: 'PLAINTEXT', value: `#{${namespace}.ApiUrl}` }])
      );
      expect(buildSpecOf(`Pipeline${name}HealthCheck`)).toMatchObject({
        phases: { build: { commands: [`node ${HEALTH_CHECK_SCRIPT}`] } },
      });
    }
  );

  test('the bake watches alarms of the prod stage driven by our own failures, not the WAF blocks outside traffic drives', () => {
    const variables = projectOf('PipelineProdBake')[1].Properties.Environment.EnvironmentVariables as {
      Name: string;
      Value: string;
    }[];
    const names = variables.find((v) => v.Name === 'BAKE_ALARM_NAMES')!.Value.split(',');
    const existing = new Set(
      Object.values(stageTemplate('prod', 'Monitoring').findResources('AWS::CloudWatch::Alarm')).map(
        (alarm) => alarm.Properties.AlarmName as string
      )
    );
    expect(existing.has('prod-API-WAF-Blocked-Requests')).toBe(true);
    expect(names).not.toContain('prod-API-WAF-Blocked-Requests');
    expect([...existing].filter((name) => !names.includes(name))).toEqual(['prod-API-WAF-Blocked-Requests']);
    expect(names.filter((name) => !existing.has(name))).toEqual([]);
    expect(names.length).toBeLessThanOrEqual(DESCRIBE_ALARMS_MAX_NAMES);
  });

  test('prod bakes after its health check: the Bake step watches the configured alarms for the configured time', () => {
    const bake = action('Prod', 'Bake');
    expect(bake.RunOrder).toBeGreaterThan(action('Prod', 'HealthCheck').RunOrder as number);
    const namespace = action('Prod', 'Monitoring.Deploy').Namespace as string;
    expect(JSON.parse(bake.Configuration.EnvironmentVariables as string)).toEqual([
      { name: 'BAKE_ROLE_ARN', type: 'PLAINTEXT', value: `#{${namespace}.BakeRoleArn}` },
    ]);
    expect(environments.prod.bakeTime.toMinutes()).toBe(10);
    expect(projectOf('PipelineProdBake')[1].Properties).toMatchObject({
      Environment: {
        EnvironmentVariables: [
          { Name: 'BAKE_REGION', Type: 'PLAINTEXT', Value: environments.prod.region },
          {
            Name: 'BAKE_ALARM_NAMES',
            Type: 'PLAINTEXT',
            Value: environments.prod.bakeAlarms.map((alarm) => `prod-${alarm}`).join(','),
          },
          { Name: 'BAKE_DURATION_SECONDS', Type: 'PLAINTEXT', Value: '600' },
        ],
      },
      TimeoutInMinutes: environments.prod.bakeTime.plus(BAKE_STEP_TIMEOUT_MARGIN).toMinutes(),
    });
    expect(buildSpecOf('PipelineProdBake')).toMatchObject({
      phases: {
        install: {
          'runtime-versions': { nodejs: BAKE_NODEJS_VERSION },
          commands: ['npm ci --ignore-scripts --no-audit --no-fund'],
        },
        build: { commands: [`npx tsx ${BAKE_SCRIPT}`] },
      },
    });
  });

  test('dev and staging have no bake time, no Bake step and no bake role', () => {
    for (const env of ['dev', 'staging'] as const) {
      expect(environments[env].bakeTime.toSeconds()).toBe(0);
      expect(actionsOf(stageId(env))).not.toContainEqual(expect.objectContaining({ Name: 'Bake' }));
      stageTemplate(env, 'Monitoring').resourcePropertiesCountIs(
        'AWS::IAM::Role',
        { RoleName: bakeRoleName(env) },
        0
      );
      expect(stageTemplate(env, 'Monitoring').findOutputs('BakeRoleArn')).toEqual({});
    }
  });

  test("the Bake step's role may assume the prod bake role, and nothing else across accounts", () => {
    const [roleId] = projectOf('PipelineProdBake')[1].Properties.ServiceRole['Fn::GetAtt'] as [string];
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })
    ).flatMap((p) => p.Properties.PolicyDocument.Statement as unknown[]);
    expect(statements.filter((s) => JSON.stringify(s).includes('sts:AssumeRole'))).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::${environments.prod.account}:role/${bakeRoleName('prod')}`,
      }),
    ]);
  });

  test("the Bake step's CodeBuild role has the fixed name the prod bake role trusts", () => {
    const [roleId] = projectOf('PipelineProdBake')[1].Properties.ServiceRole['Fn::GetAtt'] as [string];
    expect(template.toJSON().Resources[roleId].Properties.RoleName).toBe(bakeStepRoleName('prod'));
  });

  test("prod Monitoring has the bake role: trusted by the Bake step's role only, reads alarms only, output as BakeRoleArn", () => {
    const monitoring = stageTemplate('prod', 'Monitoring');
    monitoring.hasResourceProperties('AWS::IAM::Role', {
      RoleName: bakeRoleName('prod'),
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${pipelineConfig.account}:root` },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': `arn:aws:iam::${pipelineConfig.account}:role/${bakeStepRoleName('prod')}`,
              },
            },
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
    expect(stageStacks('prod').length).toBeGreaterThanOrEqual(3);
    for (const env of ENVIRONMENT_NAMES) {
      for (const stack of stageStacks(env))
        expect([env, stack.id, stack.terminationProtection]).toEqual([env, stack.id, env === 'prod']);
    }
  });
});

describe('environment matrix, read from the synthesized templates of the three stages', () => {
  /** The one resource of the type whose logical id starts with the prefix. */
  function one(
    env: 'dev' | 'staging' | 'prod',
    stack: 'Database' | 'ServerlessApi',
    type: string,
    prefix = ''
  ) {
    const found = Object.entries(stageTemplate(env, stack).findResources(type)).filter(([id]) =>
      id.startsWith(prefix)
    );
    expect(found).toHaveLength(1);
    return found[0]![1];
  }

  function row(env: 'dev' | 'staging' | 'prod') {
    const primary = one(env, 'Database', 'AWS::RDS::DBInstance', 'PrimaryDatabase');
    const replica = one(env, 'Database', 'AWS::RDS::DBInstance', 'ReadReplica');
    const apiStage = one(env, 'ServerlessApi', 'AWS::ApiGateway::Stage').Properties;
    const cors = new Capture();
    stageTemplate(env, 'ServerlessApi').hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: {
        IntegrationResponses: [
          { ResponseParameters: { 'method.response.header.Access-Control-Allow-Origin': cors } },
        ],
      },
    });
    return {
      natGateways: Object.keys(stageTemplate(env, 'Networking').findResources('AWS::EC2::NatGateway')).length,
      dbClass: primary.Properties.DBInstanceClass,
      replicaClass: replica.Properties.DBInstanceClass,
      multiAz: primary.Properties.MultiAZ,
      dbDeletionProtection: primary.Properties.DeletionProtection,
      dbOnDelete: primary.DeletionPolicy,
      tableOnDelete: one(env, 'ServerlessApi', 'AWS::DynamoDB::Table').DeletionPolicy,
      logStatement: one(env, 'Database', 'AWS::RDS::DBParameterGroup').Properties.Parameters.log_statement,
      apiCache: apiStage.CacheClusterEnabled,
      dataTrace: apiStage.MethodSettings[0].DataTraceEnabled,
      corsOrigin: cors.asString().replace(/^'|'$/g, ''),
      redisAuthFromSecret: JSON.stringify(
        one(env, 'Database', 'AWS::ElastiCache::ReplicationGroup').Properties.AuthToken
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
