/**
 * Domain errors. They say what went wrong in the caller's terms and carry no HTTP knowledge:
 * the single mapping to status codes lives in http/error-mapper.ts. Their messages are written
 * for API clients; anything that is not one of these is a bug and is answered with a generic 500.
 */

/** The input breaks a rule of the API; the message names the offending field. */
export class ValidationError extends Error {
  override readonly name: string = 'ValidationError';
}

/** The pagination cursor was not issued by us for this listing. */
export class InvalidCursorError extends Error {
  override readonly name: string = 'InvalidCursorError';

  constructor(message = 'cursor: not a valid pagination cursor for this listing') {
    super(message);
  }
}

/** No authenticated caller: the request did not come through the authorizer. */
export class UnauthorizedError extends Error {
  override readonly name: string = 'UnauthorizedError';

  constructor(message = 'Authentication is required') {
    super(message);
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends Error {
  override readonly name: string = 'ForbiddenError';

  constructor(message = 'You are not allowed to perform this operation') {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name: string = 'NotFoundError';
}

/** The request is valid but clashes with the current state; `code` lets clients tell cases apart. */
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';

  constructor(
    message: string,
    readonly code: string = 'conflict'
  ) {
    super(message);
  }
}

export class InsufficientStockError extends ConflictError {
  override readonly name: string = 'InsufficientStockError';

  constructor(readonly productId: string) {
    super(`Insufficient stock for product ${productId}`, 'insufficient_stock');
  }
}

/** An Idempotency-Key was reused with a different request body. */
export class IdempotencyKeyReusedError extends Error {
  override readonly name: string = 'IdempotencyKeyReusedError';

  constructor() {
    super('This Idempotency-Key was already used with a different request body');
  }
}

/** A write that must say which state it builds on (If-Match, Idempotency-Key) did not. */
export class PreconditionRequiredError extends Error {
  override readonly name: string = 'PreconditionRequiredError';

  constructor(
    message: string,
    readonly code: string = 'precondition_required'
  ) {
    super(message);
  }
}

/** The write was based on a version that is no longer current; nothing was changed. */
export class PreconditionFailedError extends Error {
  override readonly name: string = 'PreconditionFailedError';

  constructor(
    message: string,
    /** The version now current, so the client can re-read (or the adapter can say it). */
    readonly currentVersion: number
  ) {
    super(message);
  }
}

/** A dependency kept refusing work within our time bound; the request changed nothing and may be retried. */
export class DependencyUnavailableError extends Error {
  override readonly name: string = 'DependencyUnavailableError';
}
