import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { collectAcknowledgements } from '../../lib/compliance/nag-gate';
import { ApiWaf, type ApiWafProps, WAF_PER_CALLER_RATE_RULE_NAME } from '../../lib/constructs/api-waf';

/** A bare stack with a one-method API and the web ACL on its stage. */
function stackWithWaf(): { stack: Stack; waf: ApiWaf } {
  const stack = new Stack(new App(), 'Test');
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addMethod('GET', new apigw.MockIntegration());
  const waf = new ApiWaf(stack, 'Waf', {
    stage: api.deploymentStage,
    webAclName: 'test-api',
    rateLimitPer5Minutes: 100,
    perCallerRateLimitPer5Minutes: 60,
    logRetention: logs.RetentionDays.ONE_DAY,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return { stack, waf };
}

describe('ApiWaf on a stage', () => {
  const { stack, waf } = stackWithWaf();
  const template = Template.fromStack(stack);

  test('names the web ACL and its log group as asked, with the given retention', () => {
    expect(waf.webAclName).toBe('test-api');
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Name: 'test-api', Scope: 'REGIONAL' });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-test-api',
      RetentionInDays: 1,
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('blocks a caller over its limit, keyed on the Authorization header as sent, with its own metric', () => {
    const [webAcl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
    const rules = (webAcl as { Properties: { Rules: Array<Record<string, unknown>> } }).Properties.Rules;
    const perCaller = rules.filter((r) => r.Name === WAF_PER_CALLER_RATE_RULE_NAME);
    expect(perCaller).toEqual([
      {
        Name: 'RateLimitPerCaller',
        Priority: 1,
        Action: { Block: {} },
        Statement: {
          RateBasedStatement: {
            AggregateKeyType: 'CUSTOM_KEYS',
            Limit: 60,
            EvaluationWindowSec: 300,
            CustomKeys: [
              { Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
            ],
          },
        },
        VisibilityConfig: {
          CloudWatchMetricsEnabled: true,
          MetricName: 'RateLimitPerCaller',
          SampledRequestsEnabled: true,
        },
      },
    ]);
    // The per-IP rule keeps its own limit and metric; every rule has a distinct priority and metric.
    expect(rules.find((r) => r.Name === 'RateLimitPerIp')).toMatchObject({
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 100 } },
    });
    const metrics = rules.map((r) => (r.VisibilityConfig as { MetricName: string }).MetricName);
    expect(new Set(metrics).size).toBe(rules.length);
    expect(new Set(rules.map((r) => r.Priority)).size).toBe(rules.length);
  });

  test('satisfies AwsSolutions-APIG3 without an acknowledgement', () => {
    const apig3 = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.filter((v) => v.ruleName === 'AwsSolutions-APIG3');
    expect(apig3).toEqual([]);
    expect(collectAcknowledgements(stack).map((a) => a.ruleId)).not.toContain('AwsSolutions-APIG3');
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
        perCallerRateLimitPer5Minutes: 60,
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

  test.each([9, 0, -1, 2_000_000_001, 600.5, Number.NaN])(
    'reject a per-caller rate limit of %p',
    (perCallerRateLimitPer5Minutes) => {
      expect(build({ perCallerRateLimitPer5Minutes })).toThrow(
        /perCallerRateLimitPer5Minutes must be an integer from 10 to 2000000000/
      );
    }
  );

  test('accept the per-caller limit at WAF minimum of 10', () => {
    expect(build({ perCallerRateLimitPer5Minutes: 10 })().webAclName).toBe('test-api');
  });

  test.each(['', 'has space', 'x'.repeat(129)])('reject the web ACL name %j', (webAclName) => {
    expect(build({ webAclName })).toThrow(/webAclName must be 1 to 128/);
  });
});
