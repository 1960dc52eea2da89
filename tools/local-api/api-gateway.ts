import type {
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { type ApiRoute } from '../../lib/api/routes';

/**
 * What API Gateway's REST API does around a Lambda proxy integration, for the local dev server:
 * match a resource and method of the route table, build the authorizer and proxy events, apply the
 * authorizer's policy, validate declared parameters and body models, and answer its own errors
 * with the stack's gateway responses. Pure functions: the HTTP side is in dev-server.ts, the
 * authorizer's policy in authorizer-policy.ts, validation and gateway errors in gateway-responses.ts.
 */

/** The request as the local gateway sees it. */
export interface GatewayRequest {
  /** Upper case. */
  readonly method: string;
  /** The path without the query, as sent (percent-encoded). */
  readonly path: string;
  /** The query string without `?`. */
  readonly query: string;
  /** Node's `rawHeaders`: name, value, name, value... with the client's spelling. */
  readonly rawHeaders: readonly string[];
  readonly body: string | undefined;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
}

/** The stage and ids the events carry; any values work locally. */
export interface GatewayIdentity {
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
}

export type RouteMatch =
  | {
      readonly kind: 'route';
      readonly route: ApiRoute;
      readonly pathParameters: Record<string, string> | null;
    }
  /** OPTIONS on a resource: the CORS preflight every resource has (defaultCorsPreflightOptions). */
  | { readonly kind: 'preflight'; readonly resource: string }
  | { readonly kind: 'none' };

const GREEDY = /^\{(.+)\+\}$/;
const PARAMETER = /^\{(.+)\}$/;

function segmentsOf(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route table as API Gateway's resource tree, with its matching rules. */
export class RouteTable {
  /** Child path parts per resource path, every prefix of a route's resource included. */
  private readonly children = new Map<string, string[]>();

  constructor(private readonly routes: readonly ApiRoute[]) {
    this.children.set('/', []);
    for (const { resource } of routes) {
      let parent = '/';
      for (const part of segmentsOf(resource)) {
        const child = parent === '/' ? `/${part}` : `${parent}/${part}`;
        const siblings = this.children.get(parent) ?? [];
        if (!siblings.includes(part)) siblings.push(part);
        this.children.set(parent, siblings);
        if (!this.children.has(child)) this.children.set(child, []);
        parent = child;
      }
    }
  }

  /**
   * The resource API Gateway picks: at each level a literal path part before `{name}` before
   * `{proxy+}` (which takes the rest); then the method itself before ANY.
   */
  match(method: string, path: string): RouteMatch {
    const found = this.findResource('/', segmentsOf(path), {});
    if (!found) return { kind: 'none' };
    const onResource = this.routes.filter((route) => route.resource === found.resource);
    const route =
      onResource.find((candidate) => candidate.method === method) ??
      (method === 'OPTIONS' ? undefined : onResource.find((candidate) => candidate.method === 'ANY'));
    if (route) {
      const hasParameters = Object.keys(found.params).length > 0;
      return { kind: 'route', route, pathParameters: hasParameters ? found.params : null };
    }
    return method === 'OPTIONS' ? { kind: 'preflight', resource: found.resource } : { kind: 'none' };
  }

  private findResource(
    resource: string,
    rest: readonly string[],
    params: Record<string, string>
  ): { resource: string; params: Record<string, string> } | undefined {
    const [segment, ...remaining] = rest;
    if (segment === undefined) return { resource, params };
    const parts = this.children.get(resource) ?? [];
    const childPath = (part: string): string => (resource === '/' ? `/${part}` : `${resource}/${part}`);
    const literal = parts.find((part) => part === segment);
    if (literal !== undefined) {
      const found = this.findResource(childPath(literal), remaining, params);
      if (found) return found;
    }
    for (const part of parts.filter((p) => PARAMETER.test(p) && !GREEDY.test(p))) {
      const name = PARAMETER.exec(part)?.[1] ?? part;
      const found = this.findResource(childPath(part), remaining, { ...params, [name]: decode(segment) });
      if (found) return found;
    }
    const greedy = parts.find((part) => GREEDY.test(part));
    if (greedy !== undefined) {
      const name = GREEDY.exec(greedy)?.[1] ?? greedy;
      return { resource: childPath(greedy), params: { ...params, [name]: rest.map(decode).join('/') } };
    }
    return undefined;
  }
}

export interface RequestParts {
  /** Never empty over HTTP/1.1 (Host is required). */
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly queryStringParameters: Record<string, string> | null;
  readonly multiValueQueryStringParameters: Record<string, string[]> | null;
}

/** Headers and query as API Gateway passes them: the last value, and every value. */
export function requestParts(request: GatewayRequest): RequestParts {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    const value = request.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(request.query)) {
    query[name] = value;
    (multiValueQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
  };
}

/** A header's last value, its name matched case-insensitively. */
export function headerValue(parts: RequestParts, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value: string | undefined;
  for (const [key, values] of Object.entries(parts.multiValueHeaders)) {
    if (key.toLowerCase() === wanted) value = values[values.length - 1];
  }
  return value;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$context.requestTime`: CLF format, `09/Apr/2015:12:34:56 +0000`. */
export function requestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>`, as the authorizer gets it. */
export function methodArn(identity: GatewayIdentity, method: string, path: string): string {
  const { region, accountId, apiId, stage } = identity;
  return `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${method}/${segmentsOf(path).join('/')}`;
}

function requestContext(
  request: GatewayRequest,
  identity: GatewayIdentity,
  resource: string,
  parts: RequestParts,
  apiKey: string | undefined
): APIGatewayEventRequestContextWithAuthorizer<undefined> {
  return {
    accountId: identity.accountId,
    apiId: identity.apiId,
    authorizer: undefined,
    domainName: headerValue(parts, 'host'),
    extendedRequestId: request.requestId,
    httpMethod: request.method,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: apiKey ?? null,
      apiKeyId: apiKey === undefined ? null : 'local-api-key',
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: request.sourceIp,
      user: null,
      userAgent: headerValue(parts, 'user-agent') ?? null,
      userArn: null,
    },
    path: `/${identity.stage}${request.path}`,
    protocol: 'HTTP/1.1',
    requestId: request.requestId,
    requestTime: requestTime(request.requestTimeEpoch),
    requestTimeEpoch: request.requestTimeEpoch,
    resourceId: resource,
    resourcePath: resource,
    stage: identity.stage,
  };
}

/** The REQUEST authorizer's event (before any API key is known to be valid). */
export function authorizerEvent(
  request: GatewayRequest,
  identity: GatewayIdentity,
  match: Extract<RouteMatch, { kind: 'route' }>
): APIGatewayRequestAuthorizerEvent {
  const parts = requestParts(request);
  return {
    type: 'REQUEST',
    methodArn: methodArn(identity, request.method, request.path),
    resource: match.route.resource,
    path: request.path,
    httpMethod: request.method,
    ...parts,
    pathParameters: match.pathParameters,
    stageVariables: null,
    requestContext: requestContext(request, identity, match.route.resource, parts, undefined),
  };
}

/** The Lambda proxy integration's event, with the authorizer's context when there was one. */
export function proxyEvent(
  request: GatewayRequest,
  identity: GatewayIdentity,
  match: Extract<RouteMatch, { kind: 'route' }>,
  authorized?: {
    readonly principalId: string;
    readonly context: Record<string, string>;
    readonly apiKey: string;
  }
): APIGatewayProxyEvent {
  const parts = requestParts(request);
  const context = requestContext(request, identity, match.route.resource, parts, authorized?.apiKey);
  return {
    resource: match.route.resource,
    path: request.path,
    httpMethod: request.method,
    ...parts,
    pathParameters: match.pathParameters,
    stageVariables: null,
    requestContext: {
      ...context,
      authorizer: authorized
        ? { ...authorized.context, principalId: authorized.principalId, integrationLatency: 0 }
        : undefined,
    },
    // No binary media types are configured, so API Gateway passes bodies as text.
    body: request.body === undefined || request.body === '' ? null : request.body,
    isBase64Encoded: false,
  };
}
