import { type ApiTarget, type TestUser } from './target';

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; undefined when there is none (204). */
  readonly body: unknown;
}

export interface CallOptions {
  /** Signs the call in as this user (Authorization + x-api-key); omit for an anonymous call. */
  readonly as?: TestUser;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** How long one call may take: a cold Lambda start plus the authorizer's is a few seconds. */
const CALL_TIMEOUT_MS = 15_000;

/** Calls the target's API over HTTP(S) as a client would, with the two headers every /v1 route needs. */
export function apiClient(target: ApiTarget) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.as) {
      headers.Authorization = `Bearer ${options.as.idToken}`;
      headers['x-api-key'] = target.apiKey;
    }
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${target.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text}`);
    }
    return { status: response.status, headers: response.headers, body };
  };
}

export type ApiCall = ReturnType<typeof apiClient>;
