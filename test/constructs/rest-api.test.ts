import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { API_ROUTES, type ApiRoute, type RouteFunctionName } from '../../lib/api/routes';
import { type ApiConfig } from '../../lib/config';
import { ApiAuthorizer } from '../../lib/constructs/api-authorizer';
import { RestApi, USAGE_PLAN_THROTTLE } from '../../lib/constructs/rest-api';

const SETTINGS: ApiConfig = {
  corsOrigins: ['https://app.example.com'],
  cachingEnabled: true,
  cacheTtl: Duration.minutes(5),
  dataTraceEnabled: false,
  throttlingRateLimit: 10,
  throttlingBurstLimit: 20,
};

function build(overrides: { settings?: Partial<ApiConfig>; routes?: readonly ApiRoute[] } = {}) {
  const stack = new Stack(new App(), 'Test');
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  const handlers: Record<RouteFunctionName, lambda.IFunction> = {
    users: fn('Users'),
    products: fn('Products'),
    orders: fn('Orders'),
  };
  const api = new RestApi(stack, 'ServerlessApi', {
    stageName: 'test',
    settings: { ...SETTINGS, ...overrides.settings },
    accessLogs: new logs.LogGroup(stack, 'AccessLogs'),
    authorizer: new ApiAuthorizer(stack, 'CustomAuthorizer', { handler: fn('Authorizer') }),
    handlers,
    routes: overrides.routes,
  });
  return { stack, api };
}

describe('RestApi', () => {
  const { stack, api } = build();
  const template = Template.fromStack(stack);

  test('has one method per route, plus a CORS preflight per resource', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    const resources = Object.keys(template.findResources('AWS::ApiGateway::Resource'));
    expect(methods).toHaveLength(API_ROUTES.length + resources.length + 1);
  });

  test('every Lambda route needs the authorizer, an API key and the validator; /health needs nothing', () => {
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      { AuthorizationType: 'CUSTOM', ApiKeyRequired: true, RequestValidatorId: Match.anyValue() },
      API_ROUTES.filter((route) => route.authorization === 'authorizer').length
    );
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'NONE',
      Integration: Match.objectLike({ Type: 'MOCK' }),
    });
  });

  test('a usage plan throttles each client and holds the generated key', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: USAGE_PLAN_THROTTLE.rateLimit, BurstLimit: USAGE_PLAN_THROTTLE.burstLimit },
    });
    template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Value: Match.absent() });
    expect(api.apiKey).toBeDefined();
  });

  test('the stage is named, throttled and logged as configured, and caches the catalog only', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'test',
      CacheClusterEnabled: true,
      CacheClusterSize: '0.5',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ThrottlingRateLimit: 10, CachingEnabled: false }),
        Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1v1~1products', CachingEnabled: true }),
      ]),
    });
  });

  test("API Gateway's own 4xx answers carry the first CORS origin", () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: {
        'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
      },
    });
  });

  test('without a cache, no cache cluster and no cached method', () => {
    const uncached = Template.fromStack(build({ settings: { cachingEnabled: false } }).stack);
    uncached.hasResourceProperties('AWS::ApiGateway::Stage', {
      CacheClusterEnabled: false,
      MethodSettings: Match.not(Match.arrayWith([Match.objectLike({ CachingEnabled: true })])),
    });
  });

  test('throws when a Lambda route does not use the authorizer', () => {
    const open: ApiRoute = {
      resource: '/v1/open',
      method: 'GET',
      integration: { kind: 'lambda-proxy', function: 'users' },
      authorization: 'none',
    };
    expect(() => build({ routes: [open] })).toThrow(
      /GET \/v1\/open: Lambda routes must use the authorizer, got none/
    );
  });

  test('throws when no CORS origin is configured', () => {
    expect(() => build({ settings: { corsOrigins: [] } })).toThrow(
      /corsOrigins must name at least one origin/
    );
  });
});
