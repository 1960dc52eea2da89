import {
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidCursorError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  UnauthorizedError,
  ValidationError,
} from '../errors';
import { type Log } from '../logger';
import {
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RouteNotFoundError,
} from './errors';
import { etagOf } from './headers';
import { type ApiResponse, type ErrorBody, json } from './response';

interface MappedError {
  readonly statusCode: number;
  readonly code: string;
  readonly headers?: Record<string, string>;
}

/** The only place that knows which error means which status. Unknown errors map to nothing. */
function mapKnownError(error: unknown): MappedError | undefined {
  if (error instanceof MalformedJsonError) return { statusCode: 400, code: 'invalid_json' };
  if (error instanceof ValidationError) return { statusCode: 400, code: 'validation_error' };
  if (error instanceof InvalidCursorError) return { statusCode: 400, code: 'invalid_cursor' };
  if (error instanceof UnauthorizedError) return { statusCode: 401, code: 'unauthorized' };
  if (error instanceof ForbiddenError) return { statusCode: 403, code: 'forbidden' };
  if (error instanceof NotFoundError) return { statusCode: 404, code: 'not_found' };
  if (error instanceof RouteNotFoundError) return { statusCode: 404, code: 'route_not_found' };
  if (error instanceof MethodNotAllowedError) {
    return { statusCode: 405, code: 'method_not_allowed', headers: { Allow: error.allowed.join(', ') } };
  }
  if (error instanceof ConflictError) return { statusCode: 409, code: error.code };
  // The current ETag, so a client whose GET came from a cache can still learn what is current.
  if (error instanceof PreconditionFailedError) {
    return { statusCode: 412, code: 'precondition_failed', headers: { ETag: etagOf(error.currentVersion) } };
  }
  if (error instanceof PreconditionRequiredError) return { statusCode: 428, code: error.code };
  if (error instanceof DependencyUnavailableError) {
    return { statusCode: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '1' } };
  }
  if (error instanceof PayloadTooLargeError) return { statusCode: 413, code: 'payload_too_large' };
  // 422 as the IETF Idempotency-Key draft recommends: the key is fine, the payload does not match it.
  if (error instanceof IdempotencyKeyReusedError) return { statusCode: 422, code: 'idempotency_key_reused' };
  return undefined;
}

/**
 * Turns any thrown value into the API's error response. Client errors carry the domain message;
 * anything unexpected is logged in full and answered with a generic 500, so internals (table
 * names, stack traces, SDK messages) never reach the client.
 */
export function errorResponse(error: unknown, log: Log): ApiResponse {
  const mapped = mapKnownError(error);
  const message = error instanceof Error ? error.message : String(error);
  if (!mapped) {
    log.error('Unhandled error', { error });
    const body: ErrorBody = { error: 'internal_error', message: 'Internal server error' };
    return json(500, body);
  }
  log.info('Request rejected', { statusCode: mapped.statusCode, error: mapped.code, reason: message });
  const body: ErrorBody = { error: mapped.code, message };
  return json(mapped.statusCode, body, mapped.headers);
}
