import * as fs from 'node:fs';
import type { DynamoDbLocal } from './dynamodb-local';
import { TEST_ASSEMBLY_ENV } from './test-assembly';

export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as { __DYNAMODB_LOCAL__?: DynamoDbLocal }).__DYNAMODB_LOCAL__;
  await db?.stop();
  const assemblies = process.env[TEST_ASSEMBLY_ENV];
  if (assemblies) fs.rmSync(assemblies, { recursive: true, force: true });
}
