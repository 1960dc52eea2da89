import { startDynamoDbLocal } from './dynamodb-local';

/**
 * One DynamoDB Local for the whole run; each test file creates its own uniquely named table
 * (see table.ts), so files stay independent while the JVM starts once.
 */
export default async function globalSetup(): Promise<void> {
  // The SDK warns once per client that Node.js 20 loses support in 2027; the functions run on
  // Node.js 24 in Lambda. Set here, before jest starts its workers, so they inherit it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const db = await startDynamoDbLocal();
  process.env.DYNAMODB_LOCAL_ENDPOINT = db.endpoint;
  (globalThis as { __DYNAMODB_LOCAL__?: typeof db }).__DYNAMODB_LOCAL__ = db;
}
