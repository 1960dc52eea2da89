import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  CanaryDeployment,
  DEPLOY_GUARD_ERRORS_THRESHOLD,
  LIVE_ALIAS_NAME,
} from '../../lib/constructs/canary-deployment';

function build(rollbackOnAlarm: boolean) {
  const stack = new Stack(new App(), 'Test');
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  const deployment = new CanaryDeployment(stack, 'CanaryDeployment', {
    environmentName: 'test',
    trafficShifting: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
    rollbackOnAlarm,
    functions: { users: fn('Users'), authorizer: fn('Authorizer') },
    errorsThresholds: { authorizer: 20 },
    errorsMetrics: { authorizer: new cloudwatch.Metric({ namespace: 'Own', metricName: 'Failures' }) },
  });
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addMethod('GET', new apigw.MockIntegration());
  const apiGuard = deployment.addApiGuard(api);
  const canaryGuard = deployment.addCanaryGuard(
    new cloudwatch.Metric({ namespace: 'N', metricName: 'M' }),
    90
  );
  return { template: Template.fromStack(stack), deployment, apiGuard, canaryGuard };
}

describe('CanaryDeployment rolling back on alarms', () => {
  const { template, apiGuard, canaryGuard } = build(true);

  test('publishes each function behind a live alias shifted by its own group', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Alias', { Name: LIVE_ALIAS_NAME }, 2);
    template.resourcePropertiesCountIs(
      'AWS::CodeDeploy::DeploymentGroup',
      { DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes' },
      2
    );
  });

  test("a function given its own failure metric is guarded on it (Sum per minute), the others on their alias's Lambda Errors", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-DeployGuard-Lambda-authorizer-Errors',
      Namespace: 'Own',
      MetricName: 'Failures',
      Statistic: 'Sum',
      Period: 60,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-DeployGuard-Lambda-users-Errors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Period: 60,
    });
  });

  test('one errors guard per function (the given threshold where set), the API 5XX and the canary guard', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-DeployGuard-Lambda-users-Errors',
      Threshold: DEPLOY_GUARD_ERRORS_THRESHOLD,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-DeployGuard-Lambda-authorizer-Errors',
      Threshold: 20,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-DeployGuard-API-Canary',
      Threshold: 90,
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(apiGuard).toBeDefined();
    expect(canaryGuard).toBeDefined();
    const groups = Object.values(template.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups.map((g) => (g.Properties.AlarmConfiguration.Alarms as unknown[]).length)).toEqual([3, 3]);
  });
});

describe('CanaryDeployment without rollback on alarms', () => {
  const { template, deployment, apiGuard, canaryGuard } = build(false);

  test('creates no guard alarm and rolls back only failed deployments', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(apiGuard).toBeUndefined();
    expect(canaryGuard).toBeUndefined();
    expect(deployment.errorsAlarms).toEqual({});
    template.allResourcesProperties('AWS::CodeDeploy::DeploymentGroup', {
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE'] },
    });
  });
});
