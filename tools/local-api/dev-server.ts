import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  API_MODELS,
  API_ROUTES,
  CORS_ALLOWED_HEADERS,
  GATEWAY_RESPONSES,
  type RouteFunctionName,
} from '../../lib/api/routes';
import {
  authorizerEvent,
  type GatewayIdentity,
  type GatewayRequest,
  headerValue,
  methodArn,
  proxyEvent,
  requestParts,
  requestTime,
  type RouteMatch,
  RouteTable,
} from './api-gateway';
import { evaluateAuthorizerResult } from './authorizer-policy';
import {
  assertRenderable,
  GATEWAY_ERRORS,
  type GatewayErrorType,
  gatewayResponseStatus,
  gatewayResponseTemplate,
  missingParameters,
  renderTemplate,
  validateBody,
} from './gateway-responses';
import {
  type AuthorizerHandler,
  configureFunctionEnvironment,
  FUNCTION_MODULES,
  fromProxyResult,
  type HttpAnswer,
  lambdaContext,
  PayloadTooLarge,
  type ProxyHandler,
  readBody,
} from './lambda-proxy';
import { LOCAL_REGION } from './local-table';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 3000;
/** The methods API Gateway's CORS preflight allows (apigw.Cors.ALL_METHODS). */
const PREFLIGHT_METHODS = 'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD';
const GATEWAY: GatewayIdentity = {
  region: LOCAL_REGION,
  accountId: '000000000000',
  apiId: 'local',
  stage: 'local',
};

export interface DevServerProps {
  /** @default DEFAULT_PORT; 0 picks a free port */
  readonly port?: number;
  /** Loopback only: the server has no TLS and trusts its environment. @default DEFAULT_HOST */
  readonly host?: string;
  /** DynamoDB Local's endpoint. */
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
  /** The only x-api-key value accepted (the usage plan's key). */
  readonly apiKey: string;
  /** The local user pool's public keys (JWKS JSON) the authorizer verifies tokens against. */
  readonly jwks: string;
  /** Origins allowed to read responses in a browser. @default - none */
  readonly corsOrigins?: readonly string[];
  /** The functions' LOG_LEVEL. @default 'INFO' */
  readonly logLevel?: string;
  /** One line per request. @default - to stderr */
  readonly log?: (line: string) => void;
}

export interface DevServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the API locally: API Gateway's part (routing by the route table, the REQUEST authorizer,
 * the API key, request validation, the /health mock, gateway responses) in this process, over the
 * real handlers, against DynamoDB Local. Call once per process (the handlers read their
 * environment at import).
 */
export async function startDevServer(props: DevServerProps): Promise<DevServer> {
  // Fail at start, not on the first error response, when the stack uses a template we cannot render.
  for (const { template } of GATEWAY_RESPONSES) assertRenderable(template);
  for (const { integration } of API_ROUTES) {
    if (integration.kind === 'mock') assertRenderable(integration.responseTemplate);
  }

  configureFunctionEnvironment(props);
  const authorizer: AuthorizerHandler = (await import('../../functions/authorizer/index')).handler;
  const functions = Object.fromEntries(
    await Promise.all(
      Object.entries(FUNCTION_MODULES).map(async ([name, load]) => [name, (await load()).handler] as const)
    )
  ) as Record<RouteFunctionName, ProxyHandler>;
  const routes = new RouteTable(API_ROUTES);
  const corsOrigins = props.corsOrigins ?? [];
  const log = props.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const gatewayError = (
    request: GatewayRequest,
    type: GatewayErrorType,
    details: { message?: string; validationErrorString?: string } = {}
  ): HttpAnswer => {
    const error = GATEWAY_ERRORS[type];
    const body = renderTemplate(gatewayResponseTemplate(type), {
      message: details.message ?? error.message,
      validationErrorString: details.validationErrorString ?? '',
      requestTime: requestTime(request.requestTimeEpoch),
    });
    // The stack's gateway responses carry the first CORS origin, so browsers can read them.
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'x-amzn-ErrorType': error.errorType,
    };
    if (corsOrigins[0] !== undefined) headers['Access-Control-Allow-Origin'] = corsOrigins[0];
    return {
      statusCode: gatewayResponseStatus(type),
      headers,
      body: Buffer.from(body),
    };
  };

  const preflight = (request: GatewayRequest): HttpAnswer => {
    const origin = headerValue(requestParts(request), 'origin');
    return {
      statusCode: 204,
      headers: {
        'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(','),
        'Access-Control-Allow-Methods': PREFLIGHT_METHODS,
        // As the stack's preflight mock: the caller's origin when listed, else the first one.
        ...(corsOrigins.length > 0
          ? {
              'Access-Control-Allow-Origin':
                origin !== undefined && corsOrigins.includes(origin) ? origin : (corsOrigins[0] ?? ''),
              Vary: 'Origin',
            }
          : {}),
      },
      body: Buffer.alloc(0),
    };
  };

  const answer = async (request: GatewayRequest, match: RouteMatch): Promise<HttpAnswer> => {
    if (match.kind === 'none') return gatewayError(request, 'MISSING_AUTHENTICATION_TOKEN');
    if (match.kind === 'preflight') return preflight(request);
    const { route } = match;
    const parts = requestParts(request);

    let authorized: Parameters<typeof proxyEvent>[3];
    if (route.authorization === 'authorizer') {
      // Both identity sources must be present, or API Gateway refuses without calling the authorizer.
      const token = headerValue(parts, 'Authorization')?.trim();
      const key = headerValue(parts, 'x-api-key')?.trim();
      if (!token || !key) return gatewayError(request, 'UNAUTHORIZED');
      let result: unknown;
      try {
        result = await authorizer(
          authorizerEvent(request, GATEWAY, match),
          lambdaContext(GATEWAY.accountId, 'authorizer')
        );
      } catch (error) {
        // Only this exact message means "refuse with 401"; any other failure is a 500.
        if (error instanceof Error && error.message === 'Unauthorized')
          return gatewayError(request, 'UNAUTHORIZED');
        log(`authorizer failed: ${String(error)}`);
        return gatewayError(request, 'AUTHORIZER_FAILURE');
      }
      const decision = evaluateAuthorizerResult(result, methodArn(GATEWAY, request.method, request.path));
      if (decision.kind === 'invalid') {
        log(`authorizer answered an invalid result: ${decision.reason}`);
        return gatewayError(request, 'AUTHORIZER_FAILURE');
      }
      if (decision.kind === 'deny') {
        return gatewayError(request, 'ACCESS_DENIED', {
          message: decision.explicit
            ? GATEWAY_ERRORS.ACCESS_DENIED.message
            : 'User is not authorized to access this resource',
        });
      }
      // API key source AUTHORIZER: the key the authorizer hands back must be one of the usage plan.
      if (decision.usageIdentifierKey !== props.apiKey) return gatewayError(request, 'INVALID_API_KEY');
      authorized = { principalId: decision.principalId, context: decision.context, apiKey: props.apiKey };
    }

    const missing = missingParameters(route, parts);
    if (missing.length > 0) {
      return gatewayError(request, 'BAD_REQUEST_PARAMETERS', {
        message: `Missing required request parameters: [${missing.join(', ')}]`,
      });
    }
    const contentType = headerValue(parts, 'content-type') ?? 'application/json';
    if (route.requestModel && contentType.split(';')[0]?.trim().toLowerCase() === 'application/json') {
      const invalid = validateBody(API_MODELS[route.requestModel], request.body);
      if (invalid !== undefined) {
        return gatewayError(request, 'BAD_REQUEST_BODY', { validationErrorString: invalid });
      }
    }

    const { integration } = route;
    if (integration.kind === 'mock') {
      return {
        statusCode: integration.statusCode,
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(
          renderTemplate(integration.responseTemplate, {
            message: '',
            validationErrorString: '',
            requestTime: requestTime(request.requestTimeEpoch),
          })
        ),
      };
    }
    try {
      const result = await functions[integration.function](
        proxyEvent(request, GATEWAY, match, authorized),
        lambdaContext(GATEWAY.accountId, integration.function)
      );
      const response = fromProxyResult(result);
      if (response) return response;
      log(`${integration.function} returned a malformed Lambda proxy response`);
    } catch (error) {
      log(
        `${integration.function} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
      );
    }
    return gatewayError(request, 'LAMBDA_ERROR');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const base = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.search.slice(1),
      rawHeaders: req.rawHeaders,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      requestId: randomUUID(),
      requestTimeEpoch: started,
    };
    let response: HttpAnswer;
    try {
      const request: GatewayRequest = { ...base, body: await readBody(req) };
      response = await answer(request, routes.match(request.method, request.path));
    } catch (error) {
      const request: GatewayRequest = { ...base, body: undefined };
      if (!(error instanceof PayloadTooLarge)) log(`local gateway failed: ${String(error)}`);
      response = gatewayError(
        request,
        error instanceof PayloadTooLarge ? 'REQUEST_TOO_LARGE' : 'LAMBDA_ERROR'
      );
    }
    res.writeHead(response.statusCode, {
      ...response.headers,
      'x-amzn-RequestId': base.requestId,
      'Content-Length': String(response.body.length),
    });
    res.end(response.body);
    log(`${base.method} ${url.pathname}${url.search} -> ${response.statusCode} (${Date.now() - started} ms)`);
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const host = props.host ?? DEFAULT_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(props.port ?? DEFAULT_PORT, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
