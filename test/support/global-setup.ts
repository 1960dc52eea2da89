import { startDynamoDbLocal } from './dynamodb-local';

/**
 * One DynamoDB Local for the whole run; each test file creates its own uniquely named table
 * (see table.ts), so files stay independent while the JVM starts once.
 */
export default async function globalSetup(): Promise<void> {
  const db = await startDynamoDbLocal();
  process.env.DYNAMODB_LOCAL_ENDPOINT = db.endpoint;
  (globalThis as { __DYNAMODB_LOCAL__?: typeof db }).__DYNAMODB_LOCAL__ = db;
}
