/**
 * Names the functions and the stacks must agree on: the functions publish under them, the stacks'
 * dashboards, alarms and pipeline steps read them. Here, the lowest layer, because the functions
 * depend on nothing above functions/; lib/config/names.ts re-exports them for the stacks.
 */

/** CloudWatch namespaces of the custom metrics (embedded metric format). */
export const METRIC_NAMESPACES = {
  users: 'MyApp/Users',
  orders: 'MyApp/Orders',
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
