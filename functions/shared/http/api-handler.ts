import { type Logger } from '@aws-lambda-powertools/logger';
import { type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { errorResponse } from './error-mapper';
import { ApiRequest, callerFrom } from './request';
import { type Route, Router } from './router';

export interface ApiHandlerOptions {
  readonly routes: readonly Route[];
  readonly logger: Logger;
  /** Business metrics added while handling a request are flushed (as EMF) at its end. */
  readonly metrics?: Metrics;
}

/**
 * Origins allowed to read responses in a browser (comma-separated, from the stack's CORS config).
 * API Gateway answers the preflight; the actual response must carry the header too.
 */
const CORS_ALLOWED_ORIGINS = new Set(
  (process.env.CORS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
);

/** Response headers a browser's script may read (CORS hides all but a few simple ones otherwise). */
const CORS_EXPOSED_HEADERS = 'ETag, Location, Idempotent-Replayed, Retry-After';

/** Echoes the caller's Origin when it is allowed; `Vary` keeps shared caches per origin. */
export function withCors(
  response: APIGatewayProxyResult,
  event: APIGatewayProxyEvent
): APIGatewayProxyResult {
  const origin = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  if (!origin || !CORS_ALLOWED_ORIGINS.has(origin)) return response;
  return {
    ...response,
    headers: {
      ...response.headers,
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS,
      Vary: 'Origin',
    },
  };
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The Lambda proxy adapter shared by the API functions: authenticate, route, run, and turn every
 * outcome, thrown errors included, into a JSON response. Route handlers only translate between
 * HTTP and the domain services.
 */
export function createApiHandler({ routes, logger, metrics }: ApiHandlerOptions): ApiHandler {
  const router = new Router(routes);

  return async (event, context) => {
    logger.addContext(context);
    // The API Gateway request id ties our log lines to API Gateway's access and execution logs.
    logger.setCorrelationId(event.requestContext.requestId);
    try {
      // Authenticate before routing so an anonymous caller learns nothing, not even which routes exist.
      const caller = callerFrom(event);
      const { route, params } = router.match(event);
      return withCors(await route.handler(new ApiRequest(event, caller, params)), event);
    } catch (error) {
      return withCors(errorResponse(error, logger), event);
    } finally {
      // Checked first because Powertools warns on every empty flush; most requests add no metric.
      if (metrics?.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
