/**
 * The single-table key schema, shared by the CDK stack that creates the table, the handlers
 * that query it and the tests that create it in DynamoDB Local, so the three can never drift.
 * Kept free of AWS SDK and CDK imports so both sides can load it.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'PK',
  sortKey: 'SK',
  gsi1: {
    indexName: 'GSI1',
    partitionKey: 'GSI1PK',
    sortKey: 'GSI1SK',
  },
  /** Epoch seconds; DynamoDB deletes expired items (idempotency records). */
  timeToLiveAttribute: 'expiresAt',
} as const;
