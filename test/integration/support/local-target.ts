import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDevServer } from '../../../tools/local-api/dev-server';
import { loadLocalAuth, localSub, signIdToken } from '../../../tools/local-api/local-auth';
import { captureOutput } from '../../functions/support/output';
import { createTestTable } from '../../support/table';
import { type ApiTarget, type CreateUserOptions, runAll, runId, type TestUser } from './target';

/** Only the handlers' errors reach the test output; their info logs and EMF lines are captured. */
const HANDLER_LOG_LEVEL = 'ERROR';

/**
 * The API as `npm run dev` serves it (tools/local-api: the real handlers behind the local API Gateway),
 * started in this process on a free port, over a table of its own in the DynamoDB Local that the
 * jest global setup started. Users are tokens of a local key pair made for this run, signed as
 * `npm run dev:token` signs them; nothing touches .local/.
 */
export async function startLocalTarget(): Promise<ApiTarget> {
  const output = captureOutput();
  const table = await createTestTable('integration');
  const authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'integration-auth-'));
  const auth = loadLocalAuth(authDir);
  const server = await startDevServer({
    // The OS picks a free port, so parallel runs never collide.
    port: 0,
    dynamoDbEndpoint: table.endpoint,
    tableName: table.tableName,
    apiKey: auth.apiKey,
    jwks: auth.jwks,
    logLevel: HANDLER_LOG_LEVEL,
    // Its one line per request would bury the test output; the assertions name the failing call.
    log: () => undefined,
  });
  const run = runId();

  return {
    kind: 'local',
    baseUrl: server.url,
    apiKey: auth.apiKey,
    createUser: ({ admin, label }: CreateUserOptions): Promise<TestUser> => {
      const username = `it-${run}-${label}`;
      return Promise.resolve({
        sub: localSub(username),
        email: `${username}@example.com`,
        idToken: signIdToken(auth.privateKey, { username, admin }),
      });
    },
    // Local users are only tokens: nothing to delete but the server, the table and the key pair.
    dispose: async () => {
      try {
        await runAll([() => server.close(), () => table.destroy()]);
      } finally {
        fs.rmSync(authDir, { recursive: true, force: true });
        output.restore();
      }
    },
  };
}
