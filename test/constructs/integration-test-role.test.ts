import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
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

  test('is named for the environment and trusted by the pipeline account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: integrationTestRoleName('test'),
    });
    const trust = JSON.stringify(template.findResources('AWS::IAM::Role'));
    expect(trust).toContain(':iam::999999999999:root');
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
