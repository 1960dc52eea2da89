import { InvalidCursorError, ValidationError } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Our cursors are a few hundred characters; anything far longer was not issued by us. */
const MAX_CURSOR_LENGTH = 2048;

/** What a listing is asked for: `cursor` is opaque to everything but the repository. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back as `cursor` to get the next page; null when there is none. */
  readonly nextCursor: string | null;
}

export type CursorKey = Record<string, string>;

/** Parses `?limit=&cursor=` into a PageRequest, rejecting anything but an integer in range. */
export function parsePageRequest(limit: string | undefined, cursor: string | undefined): PageRequest {
  let size = DEFAULT_PAGE_SIZE;
  if (limit !== undefined) {
    size = /^\d{1,3}$/.test(limit) ? Number(limit) : NaN;
    if (!(size >= 1 && size <= MAX_PAGE_SIZE)) {
      throw new ValidationError(`limit: must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
  }
  return cursor === undefined ? { limit: size } : { limit: size, cursor };
}

/** Encodes a DynamoDB LastEvaluatedKey (string attributes only, as in our table) as base64url JSON. */
export function encodeCursor(lastEvaluatedKey: Record<string, unknown> | undefined): string | null {
  return lastEvaluatedKey
    ? Buffer.from(JSON.stringify(lastEvaluatedKey), 'utf8').toString('base64url')
    : null;
}

/**
 * Decodes a cursor back into an ExclusiveStartKey. The cursor is client input, so it must decode
 * to exactly the expected key attributes, all strings, and pass `belongsToListing`: that check is
 * what stops a caller from paging into another partition (someone else's orders). Anything else
 * is a 400 rather than a DynamoDB ValidationException and a 500.
 */
export function decodeCursor(
  cursor: string,
  keyAttributes: readonly string[],
  belongsToListing: (key: CursorKey) => boolean
): CursorKey {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError();
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new InvalidCursorError();
  }
  const key: CursorKey = {};
  for (const [name, value] of Object.entries(decoded)) {
    if (!keyAttributes.includes(name) || typeof value !== 'string' || value === '') {
      throw new InvalidCursorError();
    }
    key[name] = value;
  }
  if (Object.keys(key).length !== keyAttributes.length || !belongsToListing(key)) {
    throw new InvalidCursorError();
  }
  return key;
}
