/**
 * Consumes the order-events SQS queue. Each message is validated on its own and failures are reported
 * per message (`batchItemFailures`), so one poison message is redelivered (then dead-lettered) without
 * redelivering the good messages beside it. Requires `reportBatchItemFailures` on the event source mapping.
 *
 * Metrics (EMF, namespace `MyApp/Orders`): `OrdersPlaced` and `OrderCancellations` (Count), one per
 * event processed. `OrderValue` is published once, by the orders API when its transaction commits:
 * publishing it here too would double every order on the dashboard (and SQS delivers at least once).
 * `eventId` is logged so a redelivered, double-counted event is visible.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { METRIC_NAMESPACES } from '../shared/contracts';
import { InvalidOrderEventError, type OrderEvent, parseOrderEvent } from './order-event';

const logger = new Logger();
const metrics = new Metrics({ namespace: METRIC_NAMESPACES.orders });
const processor = new BatchProcessor(EventType.SQS);

/** Throwing marks this message failed; the batch processor reports it and carries on with the others. */
const recordHandler = (record: SQSRecord): void => {
  const { messageId } = record;
  let event: OrderEvent;
  try {
    event = parseOrderEvent(record.body);
  } catch (error) {
    if (error instanceof InvalidOrderEventError) {
      logger.error('Rejected order event: it will be redelivered, then moved to the dead-letter queue', {
        messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        reason: error.message,
      });
    }
    throw error;
  }

  switch (event.type) {
    case 'OrderPlaced':
      metrics.addMetric('OrdersPlaced', MetricUnit.Count, 1);
      break;
    case 'OrderCancelled':
      metrics.addMetric('OrderCancellations', MetricUnit.Count, 1);
      break;
  }
  logger.info('Processed order event', {
    messageId,
    eventId: event.eventId,
    type: event.type,
    orderId: event.order.orderId,
  });
};

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    // When every message fails this throws FullBatchFailureError, and SQS redelivers the whole batch.
    return await processPartialResponse(event, recordHandler, processor, { context });
  } finally {
    if (metrics.hasStoredMetrics()) {
      metrics.publishStoredMetrics();
    }
  }
};
