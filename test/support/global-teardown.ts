import type { DynamoDbLocal } from './dynamodb-local';

export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as { __DYNAMODB_LOCAL__?: DynamoDbLocal }).__DYNAMODB_LOCAL__;
  await db?.stop();
}
