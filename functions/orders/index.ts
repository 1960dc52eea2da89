import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import { METRIC_NAMESPACES } from '../shared/contracts';
import { boundedClientConfig } from '../shared/aws-clients';
import { createDocumentClient } from '../shared/dynamodb';
import { optionalEnv, requireEnv } from '../shared/env';
import { createApiHandler } from '../shared/http/api-handler';
import { json } from '../shared/http/response';
import { logger } from '../shared/logger';
import {
  LoggingOrderEventsPublisher,
  type OrderEventsPublisher,
  SqsOrderEventsPublisher,
} from '../shared/orders/events';
import { DynamoDbOrderRepository } from '../shared/orders/repository';
import { OrderService } from '../shared/orders/service';
import { parsePageRequest } from '../shared/pagination';
import { DynamoDbProductRepository } from '../shared/products/repository';

// Module scope: read once and created once per container, reused by every invocation.
const tableName = requireEnv('TABLE_NAME');
const queueUrl = optionalEnv('ORDER_EVENTS_QUEUE_URL');
const metrics = new Metrics({ namespace: METRIC_NAMESPACES.orders });
const db = createDocumentClient();
const events: OrderEventsPublisher = queueUrl
  ? new SqsOrderEventsPublisher(
      // Bounded like every client: the order is already committed, so a slow queue must not hold
      // the response (a failed send is logged for replay, see OrderService.announce).
      new SQSClient({ ...boundedClientConfig() }),
      queueUrl
    )
  : new LoggingOrderEventsPublisher(logger);
const orders = new OrderService({
  orders: new DynamoDbOrderRepository(db, tableName),
  products: new DynamoDbProductRepository(db, tableName),
  events,
  log: logger,
});

/** Served through `/v1/orders` and `/v1/orders/{proxy+}` (ANY): the routes below do the rest. */
export const handler = createApiHandler({
  logger,
  metrics,
  routes: [
    {
      method: 'GET',
      path: '/v1/orders',
      handler: async (request) =>
        json(
          200,
          await orders.list(request.caller, parsePageRequest(request.query('limit'), request.query('cursor')))
        ),
    },
    {
      method: 'POST',
      path: '/v1/orders',
      handler: async (request) => {
        const { order, replayed } = await orders.place(
          request.caller,
          request.jsonBody(),
          request.header('Idempotency-Key')
        );
        if (replayed) {
          // The same response as the first time, flagged so clients and logs can tell.
          return json(201, order, { Location: `/v1/orders/${order.orderId}`, 'Idempotent-Replayed': 'true' });
        }
        // The order total in cents. Unit None: CloudWatch has no currency unit, and Count would
        // claim the value counts things. Sum gives revenue, SampleCount the number of orders.
        metrics.addMetric('OrderValue', MetricUnit.NoUnit, order.totalCents);
        return json(201, order, { Location: `/v1/orders/${order.orderId}` });
      },
    },
    {
      method: 'GET',
      path: '/v1/orders/{orderId}',
      handler: async (request) => json(200, await orders.get(request.caller, request.param('orderId'))),
    },
    {
      // An explicit action resource rather than PATCH {status}: cancelling is a state transition
      // with side effects (stock goes back), not a field edit, and it is the only transition offered.
      method: 'POST',
      path: '/v1/orders/{orderId}/cancel',
      handler: async (request) => json(200, await orders.cancel(request.caller, request.param('orderId'))),
    },
  ],
});
