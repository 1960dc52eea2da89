import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ApiCanary, type ApiCanaryProps } from '../../lib/constructs/api-canary';

function build(overrides: Partial<ApiCanaryProps> = {}) {
  // The canary role's acknowledgements name the account and region: a stack with an environment.
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addMethod('GET', new apigw.MockIntegration());
  const userPool = new cognito.UserPool(stack, 'Pool');
  const canary = new ApiCanary(stack, 'ApiCanary', {
    environmentName: 'test',
    schedule: Duration.minutes(10),
    removalPolicy: RemovalPolicy.RETAIN,
    providerLogging: { logRetention: logs.RetentionDays.ONE_DAY, logLevel: 'INFO' },
    api,
    userPool,
    userPoolClient: userPool.addClient('Client'),
    ...overrides,
  });
  return { stack, canary };
}

describe('ApiCanary', () => {
  const { stack, canary } = build();
  const template = Template.fromStack(stack);

  test('is named for the environment and runs on the given schedule', () => {
    template.hasResourceProperties('AWS::Synthetics::Canary', {
      Name: 'test-api',
      Schedule: { Expression: 'rate(10 minutes)' },
    });
    expect(canary.metricSuccessPercent().period).toEqual(Duration.minutes(10));
  });

  test('retains its bucket and secrets as asked', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.allResources('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  test('throws when the environment name makes an invalid canary name', () => {
    expect(() => build({ environmentName: 'Way-Too-Long-Environment' })).toThrow(/canary name must match/);
  });
});
