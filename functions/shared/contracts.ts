/**
 * Names the functions and the stacks must agree on: the functions publish under them, the stacks'
 * dashboards, alarms and pipeline steps read them. Here, the lowest layer, because the functions
 * depend on nothing above functions/; lib/config/names.ts re-exports them for the stacks.
 */

/** CloudWatch namespaces of the custom metrics (embedded metric format). */
export const METRIC_NAMESPACES = {
  users: 'MyApp/Users',
  orders: 'MyApp/Orders',
  authorizer: 'MyApp/Authorizer',
  delivery: 'DeliveryMetrics',
} as const;

/** POWERTOOLS_SERVICE_NAME of each function group: the `service` dimension of their metrics. */
export const SERVICE_NAMES = {
  api: 'api-service',
  businessMetrics: 'business-metrics',
  slackNotifier: 'slack-notifier',
  canaryUser: 'api-canary-user',
  deliveryMetrics: 'delivery-metrics',
} as const;

/**
 * Metrics of the REQUEST authorizer (namespace `METRIC_NAMESPACES.authorizer`, dimension
 * `service`). Refused credentials are answered with a Deny policy and counted nowhere: anyone can
 * send junk tokens, so only failures that are not the caller's doing drive an alarm.
 */
export const AUTHORIZER_METRICS = {
  /** The JWKS could not be fetched or is invalid, or the authorizer crashed: API Gateway answers 500. */
  unexpectedFailures: 'UnexpectedFailures',
} as const;
