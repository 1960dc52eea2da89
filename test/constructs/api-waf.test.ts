import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { collectAcknowledgements } from '../../lib/compliance/nag-gate';
import { ApiWaf, type ApiWafProps } from '../../lib/constructs/api-waf';

/** A bare stack with a one-method API and the web ACL on its stage. */
function stackWithWaf(): { stack: Stack; waf: ApiWaf } {
  const stack = new Stack(new App(), 'Test');
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addMethod('GET', new apigw.MockIntegration());
  const waf = new ApiWaf(stack, 'Waf', {
    stage: api.deploymentStage,
    webAclName: 'test-api',
    rateLimitPer5Minutes: 100,
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
