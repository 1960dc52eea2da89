/**
 * The REST API's routes, in one table: the ServerlessApi stack builds its API Gateway resources and
 * methods from it, and the local dev server (tools/local-api/) serves exactly these, so the two cannot
 * drift. Plain data in API Gateway's own vocabulary, with no aws-cdk-lib import, so the dev server
 * loads it without the CDK.
 */

/** The Lambda functions behind the API (folders under functions/). */
export type RouteFunctionName = 'users' | 'products' | 'orders';

export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'ANY';

/** Lambda proxy integration: the function gets the whole request and shapes the whole response. */
export interface LambdaProxyIntegration {
  readonly kind: 'lambda-proxy';
  readonly function: RouteFunctionName;
}

/** API Gateway answers itself, with this status and the rendered response template. */
export interface MockIntegration {
  readonly kind: 'mock';
  readonly statusCode: number;
  /** A VTL template; `$context.requestTime` is the only variable used. */
  readonly responseTemplate: string;
}

export type RouteIntegration = LambdaProxyIntegration | MockIntegration;

/**
 * `authorizer`: the REQUEST Lambda authorizer (Cognito ID token + x-api-key, both identity
 * sources) and an API key required. `none`: public.
 */
export type RouteAuthorization = 'authorizer' | 'none';

export type ApiModelName = 'CreateUser' | 'UpdateUser';

export interface ApiRoute {
  /** The API Gateway resource path: `{name}` matches one segment, `{proxy+}` one or more. */
  readonly resource: string;
  readonly method: RouteMethod;
  readonly integration: RouteIntegration;
  readonly authorization: RouteAuthorization;
  /** Declared request parameters (`method.request.querystring.limit`), true when required. */
  readonly requestParameters?: Readonly<Record<string, boolean>>;
  /** JSON body model checked by the request validator. */
  readonly requestModel?: ApiModelName;
  /** Cached where the environment has an API cache, keyed by `requestParameters`. */
  readonly cached?: boolean;
}

/** A string property of a body model (JSON Schema draft 4). */
export interface ApiModelStringProperty {
  readonly type: 'string';
  readonly minLength: number;
  readonly maxLength: number;
}

export interface ApiModel {
  readonly type: 'object';
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, ApiModelStringProperty>>;
}

export const NAME_MAX_LENGTH = 100;
const name: ApiModelStringProperty = { type: 'string', minLength: 1, maxLength: NAME_MAX_LENGTH };

/** Body models, in the order the stack creates them. */
export const API_MODELS: Readonly<Record<ApiModelName, ApiModel>> = {
  CreateUser: {
    type: 'object',
    required: ['givenName', 'familyName'],
    properties: { givenName: name, familyName: name },
  },
  // PUT replaces the profile: both names are required, as for POST.
  UpdateUser: {
    type: 'object',
    required: ['givenName', 'familyName'],
    properties: { givenName: name, familyName: name },
  },
};

const PAGE_PARAMETERS = {
  'method.request.querystring.limit': false,
  'method.request.querystring.cursor': false,
} as const;
const PROXY_PARAMETER = { 'method.request.path.proxy': true } as const;

/** Answered by API Gateway's mock integration: no Lambda, no data. */
export const HEALTH_INTEGRATION: MockIntegration = {
  kind: 'mock',
  statusCode: 200,
  responseTemplate: '{"status": "healthy", "timestamp": "$context.requestTime"}',
};

type RouteOptions = Pick<ApiRoute, 'requestParameters' | 'requestModel' | 'cached'>;

/** A method behind the authorizer and an API key, proxied to one function. */
const authorized = (
  resource: string,
  method: RouteMethod,
  fn: RouteFunctionName,
  options: RouteOptions = {}
): ApiRoute => ({
  resource,
  method,
  integration: { kind: 'lambda-proxy', function: fn },
  authorization: 'authorizer',
  ...options,
});

/**
 * Every method of the API, in the order the stack adds them (the order feeds the hash in the
 * API Deployment's logical id). The functions route further by method and path themselves.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  authorized('/v1/users', 'GET', 'users', { requestParameters: PAGE_PARAMETERS }),
  authorized('/v1/users', 'POST', 'users', { requestModel: 'CreateUser' }),
  authorized('/v1/users/{userId}', 'GET', 'users'),
  authorized('/v1/users/{userId}', 'PUT', 'users', { requestModel: 'UpdateUser' }),
  authorized('/v1/users/{userId}', 'DELETE', 'users'),
  // The catalog routes are ANY, as designed. Catalog reads are the same for every caller, so an
  // explicit GET beside each ANY (API Gateway prefers it for GET) carries the cache settings:
  // stage method settings can only name real methods, and the cache key covers page and id.
  authorized('/v1/products', 'ANY', 'products'),
  authorized('/v1/products', 'GET', 'products', { requestParameters: PAGE_PARAMETERS, cached: true }),
  // Serves `/v1/products/{id}` (GET, PUT with If-Match, DELETE) and `POST /v1/products/{id}/restock`:
  // API Gateway allows no `{productId}` resource beside `{proxy+}`, so the restock action needs no
  // route of its own here (the products function routes it, like the orders function routes cancel).
  authorized('/v1/products/{proxy+}', 'ANY', 'products', { requestParameters: PROXY_PARAMETER }),
  authorized('/v1/products/{proxy+}', 'GET', 'products', {
    requestParameters: PROXY_PARAMETER,
    cached: true,
  }),
  authorized('/v1/orders', 'ANY', 'orders'),
  authorized('/v1/orders/{proxy+}', 'ANY', 'orders', { requestParameters: PROXY_PARAMETER }),
  // Public liveness probe for the pipeline's post-deploy checks.
  { resource: '/health', method: 'GET', integration: HEALTH_INTEGRATION, authorization: 'none' },
];

/** Headers a browser may send cross-origin (the CORS preflight on every resource allows these). */
export const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'X-Amz-Date',
  'Authorization',
  'X-Api-Key',
  'X-Amz-Security-Token',
  'Idempotency-Key',
  'If-Match',
] as const;

/** The API Gateway response types this API customises (a subset of API Gateway's ResponseType). */
export type GatewayResponseType =
  'DEFAULT_4XX' | 'DEFAULT_5XX' | 'UNAUTHORIZED' | 'ACCESS_DENIED' | 'BAD_REQUEST_BODY';

export interface GatewayResponse {
  /** Construct id in the stack. */
  readonly id: string;
  readonly type: GatewayResponseType;
  /** The application/json body template (VTL). */
  readonly template: string;
  /** Overrides the type's status code. @default - API Gateway's own for the type */
  readonly statusCode?: string;
}

const errorBody = (code: string, message: string): string => `{"error": "${code}", "message": ${message}}`;

/**
 * When API Gateway answers itself (authorizer deny, missing key, body validation, throttling), it
 * uses the API's error shape, so clients see `{"error", "message"}` from it too.
 */
export const GATEWAY_RESPONSES: readonly GatewayResponse[] = [
  {
    id: 'Default4xx',
    type: 'DEFAULT_4XX',
    template: errorBody('request_rejected', '$context.error.messageString'),
  },
  { id: 'Default5xx', type: 'DEFAULT_5XX', template: errorBody('internal_error', '"Internal server error"') },
  {
    id: 'Unauthorized',
    type: 'UNAUTHORIZED',
    template: errorBody('unauthorized', '$context.error.messageString'),
  },
  // The authorizer answers refused credentials with a Deny policy (a thrown refusal would be a
  // Lambda error that junk tokens could raise), and nothing else here denies: keep those the 401
  // clients know, so they refresh their token.
  {
    id: 'AccessDenied',
    type: 'ACCESS_DENIED',
    template: errorBody('unauthorized', '"Unauthorized"'),
    statusCode: '401',
  },
  {
    id: 'BadRequestBody',
    type: 'BAD_REQUEST_BODY',
    template: errorBody(
      'invalid_body',
      `"$util.escapeJavaScript($context.error.validationErrorString).replaceAll("\\\\'","'")"`
    ),
  },
];
