/**
 * Delivery metrics of the pipeline: EventBridge sends every "CodePipeline Pipeline Execution State
 * Change" of the pipeline here; the event is applied once to the pipeline's history (DynamoDB) and
 * the resulting lead time, deployment frequency, time between failures and time to recover are
 * published in CloudWatch embedded metric format (stdout: no cloudwatch:PutMetricData).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../shared/dynamodb';
import {
  DELIVERY_METRICS_NAMESPACE,
  type MetricUnitName,
  PIPELINE_DIMENSION,
} from '../shared/delivery-metrics/compute';
import { parsePipelineExecutionEvent } from '../shared/delivery-metrics/events';
import { DynamoDbDeliveryMetricsRepository } from '../shared/delivery-metrics/repository';
import { recordEvent } from '../shared/delivery-metrics/service';
import { requireEnv } from '../shared/env';

const UNITS: Record<MetricUnitName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Seconds: MetricUnit.Seconds,
  None: MetricUnit.NoUnit,
};

const logger = new Logger();
const metrics = new Metrics({ namespace: DELIVERY_METRICS_NAMESPACE });
const repository = new DynamoDbDeliveryMetricsRepository(createDocumentClient(), requireEnv('TABLE_NAME'));

export const handler = async (event: unknown, context: Context): Promise<void> => {
  logger.addContext(context);
  // A malformed event throws: after EventBridge's retries it lands in the dead-letter queue.
  const execution = parsePipelineExecutionEvent(event);
  const recorded = await recordEvent(repository, execution);
  if (recorded.duplicate) {
    logger.info('Event already applied', { eventId: execution.eventId });
    return;
  }
  if (recorded.metrics.length === 0) return;
  metrics.addDimension(PIPELINE_DIMENSION, execution.pipeline);
  for (const metric of recorded.metrics) metrics.addMetric(metric.name, UNITS[metric.unit], metric.value);
  metrics.publishStoredMetrics();
  logger.info('Published delivery metrics', { execution, metrics: recorded.metrics });
};
