import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDynamoDbLocal } from './dynamodb-local';
import { TEST_ASSEMBLY_ENV, synthTestAssemblies } from './test-assembly';

/**
 * One DynamoDB Local for the whole run; each test file creates its own uniquely named table
 * (see table.ts), so files stay independent while the JVM starts once.
 *
 * And the app synthesized once for the whole run, while the JVM starts (test-assembly.ts): a new
 * directory every run, removed by the global teardown, so no test reads an assembly of older code.
 */
export default async function globalSetup(): Promise<void> {
  // The SDK warns once per client that Node.js 20 loses support in 2027; the functions run on
  // Node.js 24 in Lambda. Set here, before jest starts its workers, so they inherit it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const assemblies = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-cdk-assembly-'));
  process.env[TEST_ASSEMBLY_ENV] = assemblies;
  const [db, synth] = await Promise.allSettled([startDynamoDbLocal(), synthTestAssemblies(assemblies)]);
  if (db.status === 'fulfilled') {
    process.env.DYNAMODB_LOCAL_ENDPOINT = db.value.endpoint;
    (globalThis as { __DYNAMODB_LOCAL__?: typeof db.value }).__DYNAMODB_LOCAL__ = db.value;
  }
  const failure = [db, synth].find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    if (db.status === 'fulfilled') await db.value.stop();
    fs.rmSync(assemblies, { recursive: true, force: true });
    throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
  }
}
