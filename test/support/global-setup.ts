import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { TEST_ASSEMBLY_ENV, synthTestAssembly } from './test-assembly';

/** What the global teardown finds on globalThis (jest runs both in its parent process). */
export interface GlobalState {
  __DYNAMODB_LOCAL__?: DynamoDbLocal;
  /** The synth of this run's assembly: resolves when its process exits, to its error if any. */
  __TEST_ASSEMBLY_SYNTH__?: Promise<Error | undefined>;
}

/**
 * One DynamoDB Local for the whole run; each test file creates its own uniquely named table
 * (see table.ts), so files stay independent while the JVM starts once.
 *
 * And the app synthesized once for the whole run (test-assembly.ts), in a process of its own that
 * the workers wait for only when a test reads it: a new directory every run, removed by the global
 * teardown, so no test reads an assembly of older code.
 */
export default async function globalSetup(): Promise<void> {
  // The SDK warns once per client that Node.js 20 loses support in 2027; the functions run on
  // Node.js 24 in Lambda. Set here, before jest starts its workers, so they inherit it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // aws-cdk-lib's built-in CloudFormation validation starts its engine in every worker that
  // synthesizes a bare App: off for the template tests, on in test/compliance/, which tests it.
  process.env.CDK_VALIDATION = 'false';
  const state = globalThis as GlobalState;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-cdk-assembly-'));
  process.env[TEST_ASSEMBLY_ENV] = root;
  const synth = synthTestAssembly(root);
  state.__TEST_ASSEMBLY_SYNTH__ = synth;
  let db: DynamoDbLocal;
  try {
    db = await startDynamoDbLocal();
  } catch (error) {
    await synth; // no teardown follows a failed setup
    fs.rmSync(root, { recursive: true, force: true });
    throw error;
  }
  process.env.DYNAMODB_LOCAL_ENDPOINT = db.endpoint;
  state.__DYNAMODB_LOCAL__ = db;
}
