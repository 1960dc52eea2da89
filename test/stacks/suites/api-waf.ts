import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { collectAcknowledgements } from '../../../lib/compliance/nag-gate';
import { type EnvironmentName } from '../../../lib/config';
import {
  ApiWaf,
  type ApiWafProps,
  WAF_LOG_GROUP_PREFIX,
  WAF_MANAGED_RULE_GROUPS,
  WAF_REDACTED_HEADERS,
} from '../../../lib/constructs/api-waf';
import { WAF_BLOCKED_REQUESTS_THRESHOLD } from '../../../lib/constructs/service-alarms';
import { templateOf } from '../../support/app';
import { configs, stages } from './stages-fixture';

const WITH_WAF = ['staging', 'prod'] as const satisfies readonly EnvironmentName[];

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  DependsOn?: string[];
};

/** The resources of a type in a stack's template, by logical id. */
function resourcesOfType(stack: Stack, type: string): Array<[string, Resource]> {
  return Object.entries(templateOf(stack).toJSON().Resources as Record<string, Resource>).filter(
    ([, r]) => r.Type === type
  );
}

function only(stack: Stack, type: string): [string, Resource] {
  const found = resourcesOfType(stack, type);
  if (found.length !== 1)
    throw new Error(`expected one ${type} in ${stack.node.path}, found ${found.length}`);
  return found[0]!;
}

function wafConfig(env: (typeof WITH_WAF)[number]) {
  const { waf } = configs[env];
  if (!waf) throw new Error(`${env} has no waf config`);
  return waf;
}

describe.each(WITH_WAF)('%s: the API stage has a web ACL', (env) => {
  const api = stages[env].api;
  const [webAclId, webAcl] = only(api, 'AWS::WAFv2::WebACL');
  const rules = webAcl.Properties.Rules as Array<Record<string, unknown>>;

  test('is REGIONAL, named after the environment, and allows what no rule blocks', () => {
    expect(webAcl.Properties).toMatchObject({
      Scope: 'REGIONAL',
      Name: `${env}-api`,
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true },
    });
    expect(api.waf?.webAclName).toBe(`${env}-api`);
  });

  test('first blocks an IP over the configured rate per 5 minutes', () => {
    expect(rules[0]).toMatchObject({
      Priority: 0,
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'IP',
          Limit: wafConfig(env).rateLimitPer5Minutes,
          EvaluationWindowSec: 300,
        },
      },
    });
  });

  test('then applies the AWS managed common and known-bad-inputs rule sets, with their own actions', () => {
    expect(WAF_MANAGED_RULE_GROUPS).toEqual([
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    expect(rules.slice(1)).toEqual(
      WAF_MANAGED_RULE_GROUPS.map((name, i): unknown =>
        expect.objectContaining({
          Name: name,
          Priority: i + 1,
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } },
        })
      )
    );
    expect(rules).toHaveLength(1 + WAF_MANAGED_RULE_GROUPS.length);
    for (const rule of rules) {
      expect(rule.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, MetricName: rule.Name });
    }
  });

  test('is associated with the deployment stage of the API', () => {
    const [stageId] = only(api, 'AWS::ApiGateway::Stage');
    const [restApiId] = only(api, 'AWS::ApiGateway::RestApi');
    const [, association] = only(api, 'AWS::WAFv2::WebACLAssociation');
    expect(association.Properties).toEqual({
      WebACLArn: { 'Fn::GetAtt': [webAclId, 'Arn'] },
      ResourceArn: {
        'Fn::Join': [
          '',
          [
            `arn:aws:apigateway:${configs[env].region}::/restapis/`,
            { Ref: restApiId },
            '/stages/',
            { Ref: stageId },
          ],
        ],
      },
    });
  });

  test('satisfies AwsSolutions-APIG3 without an acknowledgement', () => {
    const apig3 = new AwsSolutionsChecks()
      .validateScope(api)
      .violations.filter((v) => v.ruleName === 'AwsSolutions-APIG3');
    expect(apig3).toEqual([]);
    expect(collectAcknowledgements(api).map((a) => a.ruleId)).not.toContain('AwsSolutions-APIG3');
  });

  test('logs to an aws-waf-logs- log group with the retention and removal policy of the config', () => {
    const wafLogGroups = resourcesOfType(api, 'AWS::Logs::LogGroup').filter(([, r]) =>
      String(r.Properties.LogGroupName).startsWith('aws-waf-logs-')
    );
    expect(wafLogGroups).toHaveLength(1);
    const [logGroupId, logGroup] = wafLogGroups[0]!;
    expect(logGroup.Properties.LogGroupName).toBe(`${WAF_LOG_GROUP_PREFIX}${env}-api`);
    expect(logGroup.Properties.RetentionInDays).toBe(configs[env].logRetention);
    expect(logGroup.DeletionPolicy).toBe(
      configs[env].removalPolicy === RemovalPolicy.RETAIN ? 'Retain' : 'Delete'
    );

    const [, logging] = only(api, 'AWS::WAFv2::LoggingConfiguration');
    expect(logging.Properties.ResourceArn).toEqual({ 'Fn::GetAtt': [webAclId, 'Arn'] });
    // The plain log-group ARN (no trailing `:*`), built from the group's name.
    expect(logging.Properties.LogDestinationConfigs).toEqual([
      {
        'Fn::Join': [
          '',
          [`arn:aws:logs:${configs[env].region}:${configs[env].account}:log-group:`, { Ref: logGroupId }],
        ],
      },
    ]);
    expect(logging.DependsOn).toContain(logGroupId);
  });

  test('keeps credentials out of the logs and logs only blocked or counted requests', () => {
    const [, logging] = only(api, 'AWS::WAFv2::LoggingConfiguration');
    expect(WAF_REDACTED_HEADERS).toEqual(['authorization', 'x-api-key']);
    expect(logging.Properties.RedactedFields).toEqual(
      WAF_REDACTED_HEADERS.map((name) => ({ SingleHeader: { Name: name } }))
    );
    expect(logging.Properties.LoggingFilter).toEqual({
      DefaultBehavior: 'DROP',
      Filters: [
        {
          Behavior: 'KEEP',
          Requirement: 'MEETS_ANY',
          Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
        },
      ],
    });
  });

  test('the Monitoring stack alarms on blocked requests, notifying the topic on ALARM and OK', () => {
    const monitoring = stages[env].monitoring;
    const [topicId] = only(monitoring, 'AWS::SNS::Topic');
    const alarms = resourcesOfType(monitoring, 'AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties.AlarmName === `${env}-API-WAF-Blocked-Requests`
    );
    expect(alarms).toHaveLength(1);
    const [alarmId, alarm] = alarms[0]!;
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/WAFV2',
      MetricName: 'BlockedRequests',
      Statistic: 'Sum',
      Period: 300,
      Threshold: WAF_BLOCKED_REQUESTS_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    // The web ACL's name as a plain string: no reference to (or dependency on) the API stack's ACL.
    expect(alarm.Properties.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'WebACL', Value: webAcl.Properties.Name },
        { Name: 'Region', Value: configs[env].region },
        { Name: 'Rule', Value: 'ALL' },
      ])
    );
    expect(alarm.Properties.Dimensions).toHaveLength(3);
    expect(monitoring.alarms.apiWafBlockedRequests).toBeDefined();
    expect(Stack.of(monitoring.alarms.apiWafBlockedRequests!)).toBe(monitoring);
    // On the dashboard (its alarm widget shows every alarm of the stack) beside a WAF graph.
    const [, dashboard] = only(monitoring, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain(JSON.stringify({ 'Fn::GetAtt': [alarmId, 'Arn'] }));
    expect(body).toContain('API WAF - Allowed and Blocked Requests');
  });
});

describe('dev: no web ACL (config.waf is undefined)', () => {
  const { api, monitoring } = stages.dev;

  test('has no WAF resource and no WAF log group', () => {
    expect(configs.dev.waf).toBeUndefined();
    expect(api.waf).toBeUndefined();
    for (const type of [
      'AWS::WAFv2::WebACL',
      'AWS::WAFv2::WebACLAssociation',
      'AWS::WAFv2::LoggingConfiguration',
    ]) {
      expect(resourcesOfType(api, type)).toEqual([]);
    }
    const logGroupNames = resourcesOfType(api, 'AWS::Logs::LogGroup').map(([, r]) =>
      String(r.Properties.LogGroupName)
    );
    expect(logGroupNames.filter((name) => name.startsWith(WAF_LOG_GROUP_PREFIX))).toEqual([]);
  });

  test('acknowledges AwsSolutions-APIG3 on the stage, with a reason', () => {
    const apig3 = collectAcknowledgements(api).filter((a) => a.ruleId === 'AwsSolutions-APIG3');
    expect(apig3).toEqual([
      {
        ruleId: 'AwsSolutions-APIG3',
        constructPath: api.api.deploymentStage.node.path,
        reason: expect.stringMatching(/No WAFv2 web ACL in dev/) as unknown,
      },
    ]);
  });

  test('has no blocked-requests alarm', () => {
    expect(monitoring.alarms.apiWafBlockedRequests).toBeUndefined();
    const names = resourcesOfType(monitoring, 'AWS::CloudWatch::Alarm').map(
      ([, r]) => r.Properties.AlarmName
    );
    expect(names).not.toContain('dev-API-WAF-Blocked-Requests');
    expect(JSON.stringify(templateOf(monitoring).toJSON())).not.toMatch(/AWS\/WAFV2/);
  });
});

describe('ApiWaf props', () => {
  function build(overrides: Partial<ApiWafProps>): () => ApiWaf {
    return () => {
      const stack = new Stack(new App(), 'Throwaway');
      const api = new apigw.RestApi(stack, 'Api');
      api.root.addMethod('GET', new apigw.MockIntegration());
      return new ApiWaf(stack, 'Waf', {
        stage: api.deploymentStage,
        webAclName: 'test-api',
        rateLimitPer5Minutes: 100,
        logRetention: logs.RetentionDays.ONE_DAY,
        removalPolicy: RemovalPolicy.DESTROY,
        ...overrides,
      });
    };
  }

  test('accept a valid configuration', () => {
    expect(build({})().webAclName).toBe('test-api');
  });

  test.each([9, 2_000_000_001, 100.5, Number.NaN])('reject a rate limit of %p', (rateLimitPer5Minutes) => {
    expect(build({ rateLimitPer5Minutes })).toThrow(/rateLimitPer5Minutes must be an integer from 10 to/);
  });

  test.each(['', 'has space', 'x'.repeat(129)])('reject the web ACL name %j', (webAclName) => {
    expect(build({ webAclName })).toThrow(/webAclName must be 1 to 128/);
  });
});
