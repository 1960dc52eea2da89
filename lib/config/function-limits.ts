import { Duration } from 'aws-cdk-lib';

/**
 * Time and concurrency limits of the API's Lambda functions, and the identity settings of the user
 * pool, per environment. EnvironmentConfig holds them as `functions` and `identity`.
 */

/**
 * API Gateway gives up on a Lambda integration after 29 seconds and answers 504, while the function
 * may still run and, say, place an order the client never learns of. Every API function times out
 * before it, so the client sees the function's own failure instead.
 */
export const API_GATEWAY_INTEGRATION_TIMEOUT = Duration.seconds(29);
/** Lambda keeps this many unreserved executions per account: reservations cannot go below it. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;
/** The default (and, for a new account, requested) concurrent executions quota per region. */
export const LAMBDA_ACCOUNT_CONCURRENCY = 1000;

/** One function's limits. */
export interface FunctionLimits {
  readonly timeout: Duration;
  /**
   * Concurrent executions reserved for the function: guaranteed to it and also its ceiling, so a
   * flood on its route cannot take the executions the other functions need.
   * @default - unreserved: it shares the account's pool with every other function
   */
  readonly reservedConcurrency?: number;
}

/** The limits of each function behind API Gateway (the order-events consumer keeps its own). */
export interface ApiFunctionsConfig {
  readonly users: FunctionLimits;
  readonly products: FunctionLimits;
  readonly orders: FunctionLimits;
  /** The REQUEST authorizer: shorter than every handler, it runs before each of them. */
  readonly authorizer: FunctionLimits;
}

/** What the user pool allows and demands (lib/constructs/user-directory.ts). */
export interface IdentityConfig {
  /**
   * ADMIN_USER_PASSWORD_AUTH (server-side sign-in with IAM credentials). Nothing in this repository
   * uses it: the canary and the integration suite sign in with USER_PASSWORD_AUTH, browsers with SRP.
   */
  readonly adminUserPasswordAuth: boolean;
  /**
   * Members of the `admins` group get the group in their tokens only when they have enrolled an
   * authenticator (TOTP); Cognito then challenges them for a code at each sign-in.
   */
  readonly adminsRequireMfa: boolean;
}

/**
 * Timeouts, every environment: each handler does a handful of DynamoDB calls of a few ms each, and
 * the SDK clients' request timeout and bounded retries make a call that hangs fail within seconds,
 * so 10 s is ample for users and products; orders does up to three round trips
 * (BatchGet of the products with its bounded UnprocessedKeys retries, the transaction, the event
 * send), so it gets 20 s, still 9 s under API Gateway's 29 s. The authorizer verifies a JWT against
 * the pool's cached JWKS (one fetch per cold start): 5 s, so a JWKS endpoint that hangs refuses the
 * request quickly instead of holding the handler's budget.
 */
const TIMEOUTS = {
  users: Duration.seconds(10),
  products: Duration.seconds(10),
  orders: Duration.seconds(20),
  authorizer: Duration.seconds(5),
} as const;

/** dev: nothing reserved. A new account's quota can be as low as 10, and dev traffic is tests only. */
const DEV_FUNCTIONS: ApiFunctionsConfig = {
  users: { timeout: TIMEOUTS.users },
  products: { timeout: TIMEOUTS.products },
  orders: { timeout: TIMEOUTS.orders },
  authorizer: { timeout: TIMEOUTS.authorizer },
};

/**
 * Staging sees test traffic and the canary: 50 each caps a runaway load test on orders and keeps the
 * authorizer answering; 100 reserved leaves 900 of a 1000 quota unreserved (the minimum is 100).
 */
const STAGING_FUNCTIONS: ApiFunctionsConfig = {
  ...DEV_FUNCTIONS,
  orders: { timeout: TIMEOUTS.orders, reservedConcurrency: 50 },
  authorizer: { timeout: TIMEOUTS.authorizer, reservedConcurrency: 50 },
};

/**
 * Prod, sized on the stage throttle (1000 requests/s, ApiConfig): concurrency = rate x duration.
 * - authorizer 200: results are cached 5 minutes per token, and a miss takes ~50 ms warm, so 200
 *   covers the whole throttle even at 200 ms a call (cold starts); junk tokens, which are never
 *   cached, cannot use more than these 200 and leave the handlers' pool alone.
 * - orders 200: placement is a transaction of ~100-250 ms, so 200 serves 800+ orders/s, far above
 *   the expected peak, while a flood of orders stops at 200 and leaves users and products the rest.
 * 400 reserved leaves 600 of the default 1000 quota unreserved for users, products, the order-events
 *   consumer and the account's other functions (minimum 100); raise the quota before these numbers.
 */
const PROD_FUNCTIONS: ApiFunctionsConfig = {
  ...DEV_FUNCTIONS,
  orders: { timeout: TIMEOUTS.orders, reservedConcurrency: 200 },
  authorizer: { timeout: TIMEOUTS.authorizer, reservedConcurrency: 200 },
};

export const API_FUNCTIONS = {
  dev: DEV_FUNCTIONS,
  staging: STAGING_FUNCTIONS,
  prod: PROD_FUNCTIONS,
} as const;

/**
 * dev runs the integration suite with an admin user that has no authenticator, so it keeps admins
 * without MFA; staging mirrors prod. ADMIN_USER_PASSWORD_AUTH stays on outside prod for debugging
 * from an operator's shell (aws cognito-idp admin-initiate-auth).
 */
export const IDENTITY = {
  dev: { adminUserPasswordAuth: true, adminsRequireMfa: false },
  staging: { adminUserPasswordAuth: true, adminsRequireMfa: true },
  prod: { adminUserPasswordAuth: false, adminsRequireMfa: true },
} as const satisfies Record<string, IdentityConfig>;

/**
 * Checks the limits of one environment; throws an error that names the function and shows the value.
 * @param accountConcurrency the account's concurrent executions quota
 */
export function validateApiFunctions(
  environment: string,
  functions: ApiFunctionsConfig,
  accountConcurrency = LAMBDA_ACCOUNT_CONCURRENCY
): void {
  const limit = API_GATEWAY_INTEGRATION_TIMEOUT.toSeconds();
  let reserved = 0;
  for (const [name, limits] of Object.entries(functions) as Array<[string, FunctionLimits]>) {
    const seconds = limits.timeout.toSeconds();
    if (seconds < 1 || seconds >= limit) {
      throw new Error(
        `${environment}.functions.${name}.timeout must be 1 to ${limit - 1} seconds (API Gateway ` +
          `gives up at ${limit}), got ${seconds}`
      );
    }
    const n = limits.reservedConcurrency;
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
      throw new Error(
        `${environment}.functions.${name}.reservedConcurrency must be a positive integer, got ${n}`
      );
    }
    reserved += n ?? 0;
  }
  const handlers = [functions.users, functions.products, functions.orders];
  const authorizer = functions.authorizer.timeout.toSeconds();
  if (handlers.some((h) => h.timeout.toSeconds() <= authorizer)) {
    throw new Error(
      `${environment}.functions.authorizer.timeout must be shorter than every handler's, got ${authorizer} seconds`
    );
  }
  if (accountConcurrency - reserved < LAMBDA_UNRESERVED_MINIMUM) {
    throw new Error(
      `${environment}.functions reserve ${reserved} executions, leaving fewer than ` +
        `${LAMBDA_UNRESERVED_MINIMUM} of ${accountConcurrency} unreserved`
    );
  }
}
