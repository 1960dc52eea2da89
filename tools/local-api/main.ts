/**
 * `npm run dev`: the API on http://127.0.0.1:3000 (PORT overrides it), the real handlers over
 * DynamoDB Local, authenticated like the cloud. See docs/local-development.md.
 *
 * Local tooling lives in tools/local-api/, beside the stack code it mirrors and inside the TypeScript and
 * lint setup; nothing under bin/, stages/ or the stacks imports it, so it never reaches a synth or
 * a Lambda bundle.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { API_ROUTES } from '../../lib/api/routes';
import { cdkJsonContext, contextSource, loadEnvironment } from '../../lib/config';
import { DEFAULT_PORT, startDevServer } from './dev-server';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { loadLocalAuth } from './local-auth';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from './local-table';
import { LOCAL_AUTH_DIR, LOCAL_DYNAMODB_DIR, LOCAL_TABLE_NAME } from './paths';
import { seedProducts } from './seed';

const MAX_PORT = 65_535;

function portFromEnvironment(): number {
  const value = process.env.PORT;
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) {
    throw new Error(`PORT must be an integer from 1 to ${MAX_PORT}, got ${JSON.stringify(value)}`);
  }
  return port;
}

/** The dev environment's CORS origins from cdk.json, as the dev stage's API allows them. */
function devCorsOrigins(): readonly string[] {
  return loadEnvironment(contextSource(cdkJsonContext()), 'dev').api.corsOrigins;
}

async function main(): Promise<void> {
  const port = portFromEnvironment();
  const auth = loadLocalAuth(LOCAL_AUTH_DIR);
  fs.mkdirSync(LOCAL_DYNAMODB_DIR, { recursive: true });

  const db: DynamoDbLocal = await startDynamoDbLocal({ dbPath: LOCAL_DYNAMODB_DIR });
  // Never leave the JVM behind, whatever ends this process.
  process.on('exit', () => db.process.kill());
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const created = await ensureTable(client, LOCAL_TABLE_NAME);
  const seeded = created ? await seedProducts(DynamoDBDocumentClient.from(client), LOCAL_TABLE_NAME) : 0;
  client.destroy();

  const server = await startDevServer({
    port,
    dynamoDbEndpoint: db.endpoint,
    tableName: LOCAL_TABLE_NAME,
    apiKey: auth.apiKey,
    jwks: auth.jwks,
    corsOrigins: devCorsOrigins(),
    logLevel: process.env.LOG_LEVEL ?? 'INFO',
  }).catch(async (error: NodeJS.ErrnoException) => {
    await db.stop();
    throw error.code === 'EADDRINUSE'
      ? new Error(
          `Port ${port} is in use: stop what runs there, or start with PORT=<another port> npm run dev`
        )
      : error;
  });

  const relative = (file: string): string => path.relative(process.cwd(), file) || '.';
  const routes = API_ROUTES.map((route) => `  ${route.method.padEnd(6)} ${route.resource}`).join('\n');
  process.stdout.write(
    [
      `Local API on ${server.url}`,
      `  DynamoDB Local: table ${LOCAL_TABLE_NAME}, data in ${relative(LOCAL_DYNAMODB_DIR)}/` +
        (created ? ` (new, seeded with ${seeded} products)` : ' (kept from the last run)'),
      `  x-api-key:      ${auth.apiKey}   (also in ${relative(auth.apiKeyFile)})`,
      `  ID token:       npm run -s dev:token -- --user alice [--admin]`,
      `  try:            curl ${server.url}/health`,
      `Routes (lib/api/routes.ts):`,
      routes,
      'Ctrl-C stops the API and DynamoDB Local.',
      '',
    ].join('\n')
  );

  const shutdown = (): void => {
    void Promise.all([server.close(), db.stop()]).finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run dev: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
