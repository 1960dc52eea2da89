import { type CfnElement, Stack } from 'aws-cdk-lib';
import { type IConstruct } from 'constructs';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../../lib/config';
import {
  DEPLOY_GUARD_API_5XX_THRESHOLD,
  DEPLOY_GUARD_ERRORS_THRESHOLD,
  LIVE_ALIAS_NAME,
} from '../../../lib/constructs/canary-deployment';
import {
  type ApiFunctionName,
  AUTHORIZER_DEPLOY_GUARD_ERRORS_THRESHOLD,
} from '../../../lib/stacks/serverless-api-stack';
import { templateOf } from '../../support/app';
import { API_FUNCTION_NAMES as FUNCTION_NAMES, configs, stages } from './stages-fixture';

/**
 * Deploy safety of the API functions: every caller invokes a `live` alias, and CodeDeploy shifts
 * that alias to a new version the way each environment's config says, rolling back on the
 * deploy-guard alarms where the config asks for it.
 */

const ALL_ENVS = ENVIRONMENT_NAMES.map((env) => [env] as const);

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly UpdatePolicy?: Record<string, unknown>;
}

const resourcesOf = (env: EnvironmentName) =>
  templateOf(stages[env].api).toJSON().Resources as Record<string, Resource>;
const ofType = (env: EnvironmentName, type: string) =>
  Object.entries(resourcesOf(env)).filter(([, r]) => r.Type === type);
const byId = (env: EnvironmentName, id: string): Resource => {
  const resource = resourcesOf(env)[id];
  if (!resource) throw new Error(`${env}: no resource ${id}`);
  return resource;
};
const logicalId = (construct: IConstruct) =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** Logical ids read off the constructs: function, its alias, its group, its guard alarm. */
function idsOf(env: EnvironmentName) {
  const api = stages[env].api;
  const { deployment } = api;
  return {
    api: api.api.restApiName,
    role: logicalId(deployment.role),
    application: logicalId(deployment.application),
    functions: Object.fromEntries(
      FUNCTION_NAMES.map((name) => [
        name,
        {
          function: logicalId(api.functions[name].function),
          alias: logicalId(deployment.aliases[name]),
          group: logicalId(deployment.deploymentGroups[name]),
          errorsAlarm: deployment.errorsAlarms[name] && logicalId(deployment.errorsAlarms[name]),
        },
      ])
    ) as Record<ApiFunctionName, { function: string; alias: string; group: string; errorsAlarm?: string }>,
  };
}
const ids = Object.fromEntries(ENVIRONMENT_NAMES.map((env) => [env, idsOf(env)])) as Record<
  EnvironmentName,
  ReturnType<typeof idsOf>
>;
const aliasIds = (env: EnvironmentName) => FUNCTION_NAMES.map((name) => ids[env].functions[name].alias);

/** Which alias a template fragment points at (`{ Ref: <alias> }` anywhere in it). */
const referencedAliases = (env: EnvironmentName, fragment: unknown) =>
  aliasIds(env).filter((id) => JSON.stringify(fragment).includes(JSON.stringify({ Ref: id })));
/** Whether a template fragment names a function itself (`$LATEST`): its Arn or its Ref. */
const referencesAFunction = (env: EnvironmentName, fragment: unknown) =>
  FUNCTION_NAMES.some((name) => {
    const fn = ids[env].functions[name].function;
    const json = JSON.stringify(fragment);
    return json.includes(JSON.stringify({ 'Fn::GetAtt': [fn, 'Arn'] })) || json.includes(`{"Ref":"${fn}"}`);
  });

/** The deploy-guard alarms of the environment's API stack. */
const guardAlarms = (env: EnvironmentName) =>
  ofType(env, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
    String(a.Properties.AlarmName).startsWith(`${env}-DeployGuard-`)
  );

const EXPECTED_DEPLOYMENT_CONFIG: Record<EnvironmentName, string> = {
  dev: 'CodeDeployDefault.LambdaAllAtOnce',
  staging: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
  prod: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
};

describe('live aliases', () => {
  test.each(ALL_ENVS)('%s: each function has exactly one alias, `live`, on its current version', (env) => {
    const aliases = ofType(env, 'AWS::Lambda::Alias');
    expect(aliases.map(([id]) => id).sort()).toEqual(aliasIds(env).sort());
    for (const name of FUNCTION_NAMES) {
      const { function: fn, alias } = ids[env].functions[name];
      const props = byId(env, alias).Properties as {
        Name: string;
        FunctionName: unknown;
        FunctionVersion: { 'Fn::GetAtt': [string, string] };
      };
      expect(props.Name).toBe(LIVE_ALIAS_NAME);
      expect(props.FunctionName).toEqual({ Ref: fn });
      const [versionId, attribute] = props.FunctionVersion['Fn::GetAtt'];
      expect(attribute).toBe('Version');
      expect(byId(env, versionId)).toMatchObject({
        Type: 'AWS::Lambda::Version',
        Properties: { FunctionName: { Ref: fn } },
      });
    }
  });

  test.each(ALL_ENVS)(
    "%s: every Lambda integration invokes its function's alias, never the function",
    (env) => {
      const proxied = ofType(env, 'AWS::ApiGateway::Method')
        .map(([, m]) => m.Properties.Integration as { Type: string; Uri?: unknown })
        .filter((integration) => integration.Type === 'AWS_PROXY');
      expect(proxied.length).toBeGreaterThan(0);
      for (const integration of proxied) {
        expect(referencedAliases(env, integration.Uri)).toHaveLength(1);
        expect(referencesAFunction(env, integration.Uri)).toBe(false);
      }
      // The routes reach the three handlers' aliases, and only theirs.
      const targets = new Set(proxied.flatMap((i) => referencedAliases(env, i.Uri)));
      expect([...targets].sort()).toEqual(
        (['users', 'products', 'orders'] as const).map((n) => ids[env].functions[n].alias).sort()
      );
    }
  );

  test.each(ALL_ENVS)("%s: the REQUEST authorizer invokes the authorizer's alias", (env) => {
    const [[, authorizer]] = ofType(env, 'AWS::ApiGateway::Authorizer') as [[string, Resource]];
    const uri = authorizer.Properties.AuthorizerUri;
    expect(referencedAliases(env, uri)).toEqual([ids[env].functions.authorizer.alias]);
    expect(referencesAFunction(env, uri)).toBe(false);
  });

  test.each(ALL_ENVS)('%s: API Gateway may invoke the aliases only, not the functions', (env) => {
    const fromApiGateway = ofType(env, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com'
    );
    expect(fromApiGateway.length).toBeGreaterThan(0);
    for (const [, permission] of fromApiGateway) {
      expect(aliasIds(env).map((id) => ({ Ref: id }))).toContainEqual(permission.Properties.FunctionName);
    }
  });

  test.each(ALL_ENVS)("%s: the order-events queue feeds the consumer's alias", (env) => {
    const mappings = ofType(env, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const target = mappings[0]![1].Properties.FunctionName;
    expect(referencedAliases(env, target)).toEqual([ids[env].functions.orderEvents.alias]);
    expect(JSON.stringify(target)).toContain(`":${LIVE_ALIAS_NAME}"`);
  });
});

describe('CodeDeploy deployment groups', () => {
  test('the config module sets canary in prod, linear in staging, all at once in dev', () => {
    for (const env of ENVIRONMENT_NAMES) {
      expect(configs[env].deployment.trafficShifting.deploymentConfigName).toBe(
        EXPECTED_DEPLOYMENT_CONFIG[env]
      );
    }
    expect(configs.prod.deployment.rollbackOnAlarm).toBe(true);
    expect(configs.staging.deployment.rollbackOnAlarm).toBe(true);
    expect(configs.dev.deployment.rollbackOnAlarm).toBe(false);
  });

  test.each(ALL_ENVS)(
    "%s: one group per function shifts its alias with the environment's deployment config",
    (env) => {
      expect(ofType(env, 'AWS::CodeDeploy::DeploymentGroup')).toHaveLength(FUNCTION_NAMES.length);
      for (const name of FUNCTION_NAMES) {
        const { group, alias } = ids[env].functions[name];
        expect(byId(env, group).Properties).toMatchObject({
          ApplicationName: { Ref: ids[env].application },
          ServiceRoleArn: { 'Fn::GetAtt': [ids[env].role, 'Arn'] },
          DeploymentConfigName: EXPECTED_DEPLOYMENT_CONFIG[env],
          DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
        });
        // CloudFormation hands an update of the alias to this group instead of switching it at once.
        expect(byId(env, alias).UpdatePolicy).toEqual({
          CodeDeployLambdaAliasUpdate: {
            ApplicationName: { Ref: ids[env].application },
            DeploymentGroupName: { Ref: group },
          },
        });
      }
    }
  );

  test.each(ALL_ENVS)(
    "%s: all groups share one application and one role with CodeDeploy's Lambda policy",
    (env) => {
      expect(ofType(env, 'AWS::CodeDeploy::Application')).toEqual([
        [ids[env].application, expect.objectContaining({ Properties: { ComputePlatform: 'Lambda' } })],
      ]);
      const role = byId(env, ids[env].role).Properties;
      expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('"Service":"codedeploy.amazonaws.com"');
      expect(JSON.stringify(role.ManagedPolicyArns)).toMatch(
        /^\[\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::aws:policy\/service-role\/AWSCodeDeployRoleForLambdaLimited"\]\]\}\]$/
      );
    }
  );

  test.each([['staging'], ['prod']] as const)(
    "%s: each group watches its function's errors alarm, the API 5XX and the API canary alarms, and rolls back on alarm and on failure",
    (env) => {
      const [[api5xxId]] = guardAlarms(env).filter(([, a]) => a.Properties.MetricName === '5XXError') as [
        [string, Resource],
      ];
      const [[canaryId]] = guardAlarms(env).filter(
        ([, a]) => a.Properties.MetricName === 'SuccessPercent'
      ) as [[string, Resource]];
      for (const name of FUNCTION_NAMES) {
        const { group, errorsAlarm } = ids[env].functions[name];
        expect(errorsAlarm).toBeDefined();
        const props = byId(env, group).Properties as {
          AlarmConfiguration: { Enabled: boolean; Alarms: unknown[] };
          AutoRollbackConfiguration: { Enabled: boolean; Events: string[] };
        };
        expect(props.AlarmConfiguration.Enabled).toBe(true);
        expect(props.AlarmConfiguration.Alarms).toHaveLength(3);
        expect(props.AlarmConfiguration.Alarms).toEqual(
          expect.arrayContaining([
            { Name: { Ref: errorsAlarm } },
            { Name: { Ref: api5xxId } },
            { Name: { Ref: canaryId } },
          ])
        );
        expect(props.AutoRollbackConfiguration.Enabled).toBe(true);
        expect([...props.AutoRollbackConfiguration.Events].sort()).toEqual([
          'DEPLOYMENT_FAILURE',
          'DEPLOYMENT_STOP_ON_ALARM',
        ]);
      }
    }
  );

  test('dev: no alarms, all at once, rolled back only when the deployment itself fails', () => {
    for (const name of FUNCTION_NAMES) {
      expect(byId('dev', ids.dev.functions[name].group).Properties).toMatchObject({
        AlarmConfiguration: { Enabled: false },
        AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE'] },
      });
    }
    expect(guardAlarms('dev')).toEqual([]);
  });
});

describe('deploy-guard alarms (API stack)', () => {
  test.each([['staging'], ['prod']] as const)(
    '%s: one errors alarm per function on its live alias, 1-minute periods, named with the environment',
    (env) => {
      for (const name of FUNCTION_NAMES) {
        const { function: fn, errorsAlarm } = ids[env].functions[name];
        expect(byId(env, errorsAlarm!).Properties).toMatchObject({
          AlarmName: `${env}-DeployGuard-Lambda-${name}-Errors`,
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold:
            name === 'authorizer' ? AUTHORIZER_DEPLOY_GUARD_ERRORS_THRESHOLD : DEPLOY_GUARD_ERRORS_THRESHOLD,
          TreatMissingData: 'notBreaching',
          Dimensions: expect.arrayContaining([
            { Name: 'FunctionName', Value: { Ref: fn } },
            { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: fn }, `:${LIVE_ALIAS_NAME}`]] } },
          ]),
        });
      }
    }
  );

  test.each([['staging'], ['prod']] as const)('%s: one API 5XX alarm on the REST API', (env) => {
    const api5xx = guardAlarms(env).filter(([, a]) => a.Properties.MetricName === '5XXError');
    expect(api5xx).toHaveLength(1);
    expect(api5xx[0]![1].Properties).toMatchObject({
      AlarmName: `${env}-DeployGuard-API-5XX-Errors`,
      Namespace: 'AWS/ApiGateway',
      Dimensions: [{ Name: 'ApiName', Value: ids[env].api }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: DEPLOY_GUARD_API_5XX_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    // Per function, the API's 5XX, the API canary.
    expect(guardAlarms(env)).toHaveLength(FUNCTION_NAMES.length + 2);
  });

  test.each([['staging'], ['prod']] as const)(
    "%s: one alarm on the API canary's runs: below the configured SuccessPercent in one run interval",
    (env) => {
      const canary = guardAlarms(env).filter(([, a]) => a.Properties.MetricName === 'SuccessPercent');
      expect(canary).toHaveLength(1);
      expect(canary[0]![1].Properties).toMatchObject({
        AlarmName: `${env}-DeployGuard-API-Canary`,
        Namespace: 'CloudWatchSynthetics',
        Dimensions: [{ Name: 'CanaryName', Value: { Ref: logicalId(stages[env].api.canary.canary) } }],
        Statistic: 'Average',
        Period: configs[env].synthetics.schedule.toSeconds(),
        EvaluationPeriods: 1,
        Threshold: configs[env].synthetics.successPercentThreshold,
        ComparisonOperator: 'LessThanThreshold',
        // A canary that has not run yet (new stack) must not block a deployment.
        TreatMissingData: 'notBreaching',
      });
    }
  );

  test.each([['staging'], ['prod']] as const)(
    '%s: the guards notify nobody (the Monitoring stack owns the notifying alarms)',
    (env) => {
      for (const [, alarm] of guardAlarms(env)) {
        expect(alarm.Properties.AlarmActions).toBeUndefined();
        expect(alarm.Properties.OKActions).toBeUndefined();
        expect(alarm.Properties.InsufficientDataActions).toBeUndefined();
      }
    }
  );

  test.each(ALL_ENVS)(
    '%s: the API stack does not depend on the Monitoring stack (which depends on it)',
    (env) => {
      const { api, monitoring } = stages[env];
      expect(monitoring.dependencies).toContain(api);
      expect(api.dependencies).not.toContain(monitoring);
    }
  );
});
