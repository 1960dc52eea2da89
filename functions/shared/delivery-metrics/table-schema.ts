/**
 * Key schema of the delivery-metrics table (lib/pipeline/delivery-metrics.ts creates it; the tests
 * create it in DynamoDB Local): one history item per pipeline and one marker per processed event.
 */
export const DELIVERY_METRICS_TABLE_SCHEMA = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Epoch seconds; DynamoDB deletes expired items (the processed-event markers). */
  timeToLiveAttribute: 'expiresAt',
} as const;
