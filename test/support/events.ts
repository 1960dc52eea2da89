import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { groupsContext } from '../../functions/shared/auth/authorizer';

/** Who the authorizer says is calling; `groups` as a list, encoded like the authorizer does. */
export interface TestCaller {
  readonly sub: string;
  readonly email?: string;
  readonly groups?: readonly string[];
}

export interface ApiEventOptions {
  readonly method: string;
  /** The API Gateway resource, e.g. `/v1/orders/{proxy+}`. */
  readonly resource: string;
  /** Defaults to the resource with its path parameters filled in. */
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  /** Objects are sent as JSON; strings are sent as they are (for malformed bodies). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Omit (or null) for a request without authorizer context. */
  readonly caller?: TestCaller | null;
  readonly query?: Record<string, string>;
}

/** A REST API (v1) Lambda proxy event as API Gateway sends it after the REQUEST authorizer. */
export function apiEvent(options: ApiEventOptions): APIGatewayProxyEvent {
  const { method, resource, pathParameters, body, headers = {}, caller, query } = options;
  const path =
    options.path ??
    resource.replace(/\{(.+?)\+?\}/g, (_, name: string) => pathParameters?.[name.replace(/\+$/, '')] ?? '');
  const requestId = randomUUID();
  return {
    httpMethod: method,
    resource,
    path,
    pathParameters: pathParameters ?? null,
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: null,
    headers: { 'content-type': 'application/json', ...headers },
    multiValueHeaders: {},
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: caller
        ? {
            principalId: caller.sub,
            sub: caller.sub,
            email: caller.email ?? `${caller.sub}@example.com`,
            groups: groupsContext(caller.groups ?? []),
            integrationLatency: 12,
          }
        : undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: 'test-api-key',
        apiKeyId: 'key-id',
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.10',
        user: null,
        userAgent: 'jest',
        userArn: null,
      },
      path: `/test${path}`,
      stage: 'test',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: resource,
    },
  };
}

export interface AuthorizerEventOptions {
  readonly headers?: Record<string, string>;
  readonly methodArn?: string;
}

export const TEST_METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/GET/v1/orders';

/** A REQUEST authorizer event for a REST API. */
export function authorizerEvent(options: AuthorizerEventOptions = {}): APIGatewayRequestAuthorizerEvent {
  const methodArn = options.methodArn ?? TEST_METHOD_ARN;
  return {
    type: 'REQUEST',
    methodArn,
    resource: '/v1/orders',
    path: '/v1/orders',
    httpMethod: 'GET',
    headers: options.headers ?? {},
    multiValueHeaders: null,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      ...apiEvent({ method: 'GET', resource: '/v1/orders' }).requestContext,
      authorizer: undefined,
    },
  };
}

/** A Lambda context good enough for Powertools' `addContext`. */
export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2024/01/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
