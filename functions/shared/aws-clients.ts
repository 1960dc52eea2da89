/**
 * Time bounds for every AWS SDK client the API functions build. Without them the SDK waits on a
 * stalled connection until the Lambda itself times out, and retries with no cap but its default.
 * One call's worst case is maxAttempts × (connection + request timeout) plus the SDK's back-off
 * (3 × 3 s + under 1 s): well inside the API functions' timeouts, so a stalled DynamoDB or SQS
 * call fails as a clean 500 the client can retry (orders with the same Idempotency-Key).
 */
export const SDK_CONNECTION_TIMEOUT_MS = 1_000;
/** Our DynamoDB calls answer in milliseconds; a transaction of 27 items in well under a second. */
export const SDK_REQUEST_TIMEOUT_MS = 2_000;
/** The first try and two retries, with the SDK's standard jittered back-off between them. */
export const SDK_MAX_ATTEMPTS = 3;

export interface BoundedClientConfig {
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number };
}

/**
 * Spread into a client's constructor: `new SQSClient({ ...boundedClientConfig() })`. The
 * handler options object is turned into a NodeHttpHandler by the SDK itself.
 */
export function boundedClientConfig(overrides: Partial<BoundedClientConfig> = {}): BoundedClientConfig {
  return {
    maxAttempts: overrides.maxAttempts ?? SDK_MAX_ATTEMPTS,
    requestHandler: overrides.requestHandler ?? {
      connectionTimeout: SDK_CONNECTION_TIMEOUT_MS,
      requestTimeout: SDK_REQUEST_TIMEOUT_MS,
    },
  };
}
