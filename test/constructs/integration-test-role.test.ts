import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { integrationTestsStepRoleName } from '../../lib/config';
import {
  INTEGRATION_TEST_USER_POOL_ACTIONS,
  IntegrationTestRole,
  integrationTestRoleName,
} from '../../lib/constructs/integration-test-role';

describe('IntegrationTestRole', () => {
  const stack = new Stack(new App(), 'Test');
  new IntegrationTestRole(stack, 'Role', {
    environmentName: 'test',
    trustedAccount: '999999999999',
    userPool: new cognito.UserPool(stack, 'Pool'),
    apiKey: new apigw.ApiKey(stack, 'Key'),
  });
  const template = Template.fromStack(stack);

  test('is named for the environment', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: integrationTestRoleName('test') });
  });

  test("trusts only the pipeline account's integration-test step role (aws:PrincipalArn)", () => {
    const arn = (resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::999999999999:${resource}`]],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: arn('root') },
            Condition: {
              ArnEquals: { 'aws:PrincipalArn': arn(`role/${integrationTestsStepRoleName('test')}`) },
            },
          },
        ],
      },
    });
  });

  test('no trust statement names the pipeline account without a condition', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role')) as Array<{
      Properties: {
        AssumeRolePolicyDocument: { Statement: Array<{ Principal: unknown; Condition?: unknown }> };
      };
    }>;
    const unconditioned = roles
      .flatMap((r) => r.Properties.AssumeRolePolicyDocument.Statement)
      .filter((s) => JSON.stringify(s.Principal).includes(':root') && s.Condition === undefined);
    expect(roles).toHaveLength(1);
    expect(unconditioned).toEqual([]);
  });

  test('may manage users of the pool and read the API key, and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: [...INTEGRATION_TEST_USER_POOL_ACTIONS] }),
          Match.objectLike({ Action: 'apigateway:GET' }),
        ],
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"Action":"\*"|cognito-idp:\*/);
  });
});
