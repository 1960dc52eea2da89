import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ApiAuthorizer, AUTHORIZER_CACHE_TTL } from '../../lib/constructs/api-authorizer';

function setup(attach: boolean): Stack {
  const stack = new Stack(new App(), 'Test');
  const handler = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const authorizer = new ApiAuthorizer(stack, 'CustomAuthorizer', { handler });
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addMethod('GET', new apigw.MockIntegration(), attach ? { authorizer } : undefined);
  return stack;
}

describe('ApiAuthorizer', () => {
  test('reads the Authorization and x-api-key headers and caches its answer', () => {
    expect(AUTHORIZER_CACHE_TTL).toEqual(Duration.minutes(5));
    Template.fromStack(setup(true)).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization,method.request.header.x-api-key',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  test('throws at synth when no API uses it', () => {
    expect(() => Template.fromStack(setup(false))).toThrow(/must be attached to a RestApi/);
  });
});
