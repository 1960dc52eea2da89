import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type Caller } from '../caller';
import { UnauthorizedError } from '../errors';
import { isWellFormedId } from '../ids';
import { MalformedJsonError, PayloadTooLargeError } from './errors';

/**
 * Far above any legitimate request of this API (an order of 25 lines is ~2 KiB) and far below
 * API Gateway's 10 MB, so an oversized body is refused before we spend time parsing it.
 */
export const MAX_BODY_BYTES = 64 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The caller the REQUEST authorizer established (`{ sub, email, groups }`, groups a JSON array of
 * strings). Without it the request did not pass the authorizer (a misconfigured route), so it is
 * refused here too: defence in depth rather than trusting the wiring. Groups that are not a JSON
 * array of strings count as none: a comma in a group name is part of that name, never a separator.
 */
export function callerFrom(event: APIGatewayProxyEvent): Caller {
  const context: unknown = event.requestContext.authorizer;
  if (!isRecord(context) || typeof context.sub !== 'string' || !isWellFormedId(context.sub)) {
    throw new UnauthorizedError();
  }
  return {
    userId: context.sub,
    email: typeof context.email === 'string' ? context.email : '',
    groups: parseGroups(context.groups),
  };
}

function parseGroups(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value) as unknown;
  } catch {
    return [];
  }
  return Array.isArray(parsed) ? parsed.filter((group): group is string => typeof group === 'string') : [];
}

/** What a route handler gets: the caller, the path parameters and typed access to the rest. */
export class ApiRequest {
  constructor(
    private readonly event: APIGatewayProxyEvent,
    readonly caller: Caller,
    private readonly params: Readonly<Record<string, string>>
  ) {}

  /** A path parameter declared by the route pattern (`{orderId}`). */
  param(name: string): string {
    const value = this.params[name];
    if (value === undefined) throw new Error(`Route declares no path parameter ${name}`);
    return value;
  }

  query(name: string): string | undefined {
    return this.event.queryStringParameters?.[name] ?? undefined;
  }

  /** Header names are case-insensitive (HTTP/2 clients send them in lower case). */
  header(name: string): string | undefined {
    const wanted = name.toLowerCase();
    const entry = Object.entries(this.event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
    return entry?.[1] ?? undefined;
  }

  /**
   * The parsed JSON body: 413 when too large, 400 invalid_json when not JSON. Validating its shape
   * is the domain's job, after it has checked the caller may do this at all (403 before 400).
   */
  jsonBody(): unknown {
    const raw = this.event.body ?? '';
    const encoding = this.event.isBase64Encoded ? 'base64' : 'utf8';
    if (Buffer.byteLength(raw, encoding) > MAX_BODY_BYTES) {
      throw new PayloadTooLargeError(MAX_BODY_BYTES);
    }
    const text = this.event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (text.trim() === '') throw new MalformedJsonError('Request body is required');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      throw new MalformedJsonError();
    }
    // JSON may escape lone surrogates (`"\ud800"`): DynamoDB rejects such strings, so refuse them here.
    if (!isWellFormedUnicode(parsed)) throw new MalformedJsonError('Request body contains invalid Unicode');
    return parsed;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when no string (key or value) anywhere in the parsed JSON holds a lone UTF-16 surrogate.
 * Iterative, not recursive: a body nested tens of thousands deep (`[[[[...]]]]` fits in 64 KiB)
 * must get its 400 from the schema, not overflow the stack into a 500.
 */
export function isWellFormedUnicode(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) return false;
    } else if (Array.isArray(item)) {
      for (const element of item) pending.push(element);
    } else if (item !== null && typeof item === 'object') {
      for (const [key, element] of Object.entries(item)) {
        if (LONE_SURROGATE.test(key)) return false;
        pending.push(element);
      }
    }
  }
  return true;
}
