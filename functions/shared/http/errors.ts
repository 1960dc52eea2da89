/**
 * Errors of the HTTP adapter itself (as opposed to domain errors in ../errors.ts): the request
 * could not be turned into a domain call at all. Mapped to statuses in error-mapper.ts.
 */

export class MalformedJsonError extends Error {
  override readonly name: string = 'MalformedJsonError';

  constructor(message = 'Request body must be valid JSON') {
    super(message);
  }
}

export class PayloadTooLargeError extends Error {
  override readonly name: string = 'PayloadTooLargeError';

  constructor(limitBytes: number) {
    super(`Request body must not exceed ${limitBytes} bytes`);
  }
}

export class RouteNotFoundError extends Error {
  override readonly name: string = 'RouteNotFoundError';

  constructor(method: string, path: string) {
    super(`No route for ${method} ${path}`);
  }
}

export class MethodNotAllowedError extends Error {
  override readonly name: string = 'MethodNotAllowedError';

  constructor(
    method: string,
    readonly allowed: readonly string[]
  ) {
    super(`Method ${method} is not allowed here; use ${allowed.join(', ')}`);
  }
}
