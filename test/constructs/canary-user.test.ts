import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CANARY_USER_RESOURCE_TYPE, CanaryUser } from '../../lib/constructs/canary-user';

describe('CanaryUser', () => {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  new CanaryUser(stack, 'User', {
    functionConfig: {
      name: 'test',
      logRetention: logs.RetentionDays.ONE_DAY,
      removalPolicy: RemovalPolicy.DESTROY,
      logLevel: 'INFO',
    },
    userPool: new cognito.UserPool(stack, 'Pool'),
    username: 'canary@synthetics.invalid',
    secret: new secretsmanager.Secret(stack, 'Secret'),
  });
  const template = Template.fromStack(stack);

  test('one custom resource for this user, with the secret ARN and never a password', () => {
    template.resourceCountIs(CANARY_USER_RESOURCE_TYPE, 1);
    template.hasResourceProperties(CANARY_USER_RESOURCE_TYPE, {
      Username: 'canary@synthetics.invalid',
      UserSecretArn: Match.objectLike({ Ref: Match.anyValue() }),
    });
    expect(JSON.stringify(template.findResources(CANARY_USER_RESOURCE_TYPE))).not.toMatch(
      /resolve:secretsmanager/
    );
  });

  test("its provider's log group follows the function config", () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 1 });
  });
});
