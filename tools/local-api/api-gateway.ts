import type {
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import {
  type ApiModel,
  type ApiRoute,
  GATEWAY_RESPONSES,
  type GatewayResponseType,
} from '../../lib/api/routes';

/**
 * What API Gateway's REST API does around a Lambda proxy integration, for the local dev server:
 * match a resource and method of the route table, build the authorizer and proxy events, apply the
 * authorizer's policy, validate declared parameters and body models, and answer its own errors
 * with the stack's gateway responses. Pure functions: the HTTP side is in dev-server.ts.
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `*` any characters, `?` one, as in IAM resource patterns (greedy matching with backtracking). */
export function matchesPattern(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p += 1;
      v += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = v;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

export type AuthorizerDecision =
  | {
      readonly kind: 'allow';
      readonly principalId: string;
      readonly context: Record<string, string>;
      readonly usageIdentifierKey: string | undefined;
    }
  | { readonly kind: 'deny'; readonly explicit: boolean }
  /** Not a valid authorizer response: API Gateway answers 500. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** What API Gateway makes of the authorizer's answer for this method ARN. */
export function evaluateAuthorizerResult(result: unknown, arn: string): AuthorizerDecision {
  if (!isRecord(result) || typeof result.principalId !== 'string') {
    return { kind: 'invalid', reason: 'no principalId' };
  }
  const document = result.policyDocument;
  if (!isRecord(document) || !Array.isArray(document.Statement)) {
    return { kind: 'invalid', reason: 'no policyDocument.Statement' };
  }
  const list = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((v) => typeof v === 'string')
        : [];
  const applies = (statement: Record<string, unknown>): boolean =>
    list(statement.Action).some((action) => matchesPattern(action, 'execute-api:Invoke')) &&
    list(statement.Resource).some((resource) => matchesPattern(resource, arn));
  const statements = document.Statement.filter(isRecord);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return { kind: 'deny', explicit: true };
  if (!statements.some((s) => s.Effect === 'Allow' && applies(s))) return { kind: 'deny', explicit: false };

  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(isRecord(result.context) ? result.context : {})) {
    // Context values must be primitives; API Gateway hands them to the integration as strings.
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      return { kind: 'invalid', reason: `context.${key} is not a string, number or boolean` };
    }
    context[key] = String(value);
  }
  const key = result.usageIdentifierKey;
  return {
    kind: 'allow',
    principalId: result.principalId,
    context,
    usageIdentifierKey: typeof key === 'string' ? key : undefined,
  };
}

/** The parameters a method declares as required that the request lacks (path ones always match). */
export function missingParameters(route: ApiRoute, parts: RequestParts): string[] {
  return Object.entries(route.requestParameters ?? {})
    .filter(([, required]) => required)
    .map(([name]) => /^method\.request\.(querystring|header)\.(.+)$/.exec(name))
    .filter((found): found is RegExpExecArray => found !== null)
    .filter(([, location, name = '']) =>
      location === 'querystring'
        ? parts.queryStringParameters?.[name] === undefined
        : headerValue(parts, name) === undefined
    )
    .map(([, , name = '']) => name);
}

function schemaType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Checks a JSON body against a body model as the request validator does (JSON Schema draft 4,
 * the subset the models use), returning API Gateway's validationErrorString, or undefined when valid.
 */
export function validateBody(model: ApiModel, body: string | undefined): string | undefined {
  let value: unknown = null;
  if (body !== undefined && body.trim() !== '') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return '[Invalid input: the request body is not JSON]';
    }
  }
  if (!isRecord(value)) {
    return `[instance type (${schemaType(value)}) does not match any allowed primitive type (allowed: ["object"])]`;
  }
  const errors: string[] = [];
  const missing = model.required.filter((name) => !(name in value)).sort();
  if (missing.length > 0) {
    errors.push(`object has missing required properties (${JSON.stringify(missing)})`);
  }
  for (const [name, property] of Object.entries(model.properties)) {
    if (!(name in value)) continue;
    const actual = value[name];
    if (typeof actual !== 'string') {
      errors.push(
        `instance type (${schemaType(actual)}) does not match any allowed primitive type (allowed: ["string"])`
      );
    } else if ([...actual].length < property.minLength) {
      errors.push(
        `string ${JSON.stringify(actual)} is too short (length: ${[...actual].length}, required minimum: ${property.minLength})`
      );
    } else if ([...actual].length > property.maxLength) {
      errors.push(
        `string ${JSON.stringify(actual)} is too long (length: ${[...actual].length}, maximum allowed: ${property.maxLength})`
      );
    }
  }
  return errors.length === 0 ? undefined : `[${errors.join(', ')}]`;
}

/** The errors API Gateway answers itself here, with its status, message and x-amzn-ErrorType. */
export const GATEWAY_ERRORS = {
  UNAUTHORIZED: { statusCode: 401, message: 'Unauthorized', errorType: 'UnauthorizedException' },
  ACCESS_DENIED: {
    statusCode: 403,
    message: 'User is not authorized to access this resource with an explicit deny',
    errorType: 'AccessDeniedException',
  },
  MISSING_AUTHENTICATION_TOKEN: {
    statusCode: 403,
    message: 'Missing Authentication Token',
    errorType: 'MissingAuthenticationTokenException',
  },
  INVALID_API_KEY: { statusCode: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  BAD_REQUEST_BODY: { statusCode: 400, message: 'Invalid request body', errorType: 'BadRequestException' },
  BAD_REQUEST_PARAMETERS: {
    statusCode: 400,
    message: 'Missing required request parameters',
    errorType: 'BadRequestException',
  },
  REQUEST_TOO_LARGE: { statusCode: 413, message: 'Request Too Long', errorType: 'RequestTooLongException' },
  AUTHORIZER_FAILURE: {
    statusCode: 500,
    message: 'Internal server error',
    errorType: 'AuthorizerConfigurationException',
  },
  /** A Lambda integration that threw, or answered something that is no proxy response. */
  LAMBDA_ERROR: {
    statusCode: 502,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
  },
} as const;

export type GatewayErrorType = keyof typeof GATEWAY_ERRORS;

export interface TemplateValues {
  readonly message: string;
  readonly validationErrorString: string;
  readonly requestTime: string;
}

/** The VTL expressions the stack's templates use; rendering anything else fails loudly. */
const TEMPLATE_EXPRESSIONS: ReadonlyArray<readonly [string, (values: TemplateValues) => string]> = [
  [
    String.raw`$util.escapeJavaScript($context.error.validationErrorString).replaceAll("\\'","'")`,
    // escapeJavaScript escapes quotes, backslashes and control characters; the replaceAll undoes `\'`.
    (values) => JSON.stringify(values.validationErrorString).slice(1, -1),
  ],
  // API Gateway's messageString is the message in double quotes.
  ['$context.error.messageString', (values) => JSON.stringify(values.message)],
  ['$context.requestTime', (values) => values.requestTime],
];

/** Throws when a template uses an expression this renderer does not know. */
export function assertRenderable(template: string): void {
  const rest = TEMPLATE_EXPRESSIONS.reduce((text, [expression]) => text.split(expression).join(''), template);
  const unknown = /\$[A-Za-z{!]/.exec(rest);
  if (unknown) {
    throw new Error(
      `The local API cannot render this template (add the expression to tools/local-api/api-gateway.ts): ${template}`
    );
  }
}

export function renderTemplate(template: string, values: TemplateValues): string {
  assertRenderable(template);
  return TEMPLATE_EXPRESSIONS.reduce(
    (text, [expression, render]) => text.split(expression).join(render(values)),
    template
  );
}

const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/** The status API Gateway answers for an error: the stack's override for its type, else its own. */
export function gatewayResponseStatus(type: GatewayErrorType): number {
  const override = GATEWAY_RESPONSES.find((response) => response.type === type)?.statusCode;
  return override === undefined ? GATEWAY_ERRORS[type].statusCode : Number(override);
}

/** The body template API Gateway uses for an error: its own type, else DEFAULT_4XX/5XX, else its default. */
export function gatewayResponseTemplate(type: GatewayErrorType): string {
  const statusCode = GATEWAY_ERRORS[type].statusCode;
  const fallback: GatewayResponseType = statusCode >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const byType = (wanted: string) => GATEWAY_RESPONSES.find((response) => response.type === wanted);
  return (byType(type) ?? byType(fallback))?.template ?? DEFAULT_TEMPLATE;
}
