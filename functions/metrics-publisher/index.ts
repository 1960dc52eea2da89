/**
 * Publishes business metrics passed in the invocation payload, `{ new_users?, order_amount? }`:
 * - `NewRegistrations` (Count) in `MyApp/Users`: `new_users`, or 0 when absent so the series has no gaps;
 * - `OrderValue` (None) in `MyApp/Orders`: `order_amount`, only when present. Published as given: send
 *   integer cents, the unit the orders API and order-events use for the same metric.
 *
 * Powertools Metrics writes CloudWatch embedded metric format (EMF) documents to stdout and CloudWatch
 * Logs extracts the metrics, so the function needs no cloudwatch:PutMetricData permission. The `service`
 * dimension comes from POWERTOOLS_SERVICE_NAME.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { METRIC_NAMESPACES } from '../shared/contracts';

const logger = new Logger();
// One instance per namespace: an EMF document carries a single namespace.
const userMetrics = new Metrics({ namespace: METRIC_NAMESPACES.users });
const orderMetrics = new Metrics({ namespace: METRIC_NAMESPACES.orders });

// Strict: a misspelt key (`newUsers`) must fail loudly instead of publishing a silent 0.
const MetricsInputSchema = z.strictObject({
  new_users: z.number().int().nonnegative().optional(),
  order_amount: z.number().nonnegative().optional(),
});

export type MetricsInput = z.infer<typeof MetricsInputSchema>;

export interface PublishedMetrics {
  NewRegistrations: number;
  OrderValue?: number;
}

// Nothing here awaits, but Node.js 24 handlers must return a promise (callbacks are gone), and `async`
// turns a validation error into a rejected invocation.
// eslint-disable-next-line @typescript-eslint/require-await
export const handler = async (event: unknown, context: Context): Promise<PublishedMetrics> => {
  logger.addContext(context);
  const input = parseInput(event);

  const published: PublishedMetrics = { NewRegistrations: input.new_users ?? 0 };
  userMetrics.addMetric('NewRegistrations', MetricUnit.Count, published.NewRegistrations);
  userMetrics.publishStoredMetrics();

  if (input.order_amount !== undefined) {
    published.OrderValue = input.order_amount;
    orderMetrics.addMetric('OrderValue', MetricUnit.NoUnit, input.order_amount);
    orderMetrics.publishStoredMetrics();
  }

  logger.info('Published business metrics', { published });
  return published;
};

function parseInput(event: unknown): MetricsInput {
  const parsed = MetricsInputSchema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`
    );
    const message =
      `Invalid metrics-publisher payload: ${issues.join('; ')}. ` +
      'Expected { new_users?: non-negative integer, order_amount?: non-negative number }';
    logger.error(message, { payload: event });
    throw new Error(message);
  }
  return parsed.data;
}
