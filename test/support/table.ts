import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, tableDefinition } from '../../tools/local-api/local-table';

export interface TestTable {
  readonly tableName: string;
  readonly endpoint: string;
  /** A document client for arranging and asserting state directly in the table. */
  readonly client: DynamoDBDocumentClient;
  destroy(): Promise<void>;
}

export function localEndpoint(): string {
  const endpoint = process.env.DYNAMODB_LOCAL_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'DYNAMODB_LOCAL_ENDPOINT is not set: run the tests through jest (see test/support/global-setup.ts)'
    );
  }
  return endpoint;
}

/**
 * Creates a uniquely named table with the production key schema (table-schema.ts), so test
 * files can run against one DynamoDB Local without seeing each other's data.
 */
export async function createTestTable(prefix = 'test'): Promise<TestTable> {
  const endpoint = localEndpoint();
  const tableName = `${prefix}-${randomUUID()}`;
  const raw = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await raw.send(new CreateTableCommand(tableDefinition(tableName)));

  const client = DynamoDBDocumentClient.from(raw);
  return {
    tableName,
    endpoint,
    client,
    destroy: async () => {
      await raw.send(new DeleteTableCommand({ TableName: tableName }));
      raw.destroy();
    },
  };
}

/**
 * Points the AWS SDK inside the handler modules at DynamoDB Local. Call before importing a
 * handler: its clients are created once, at module scope, from these variables.
 */
export function useTableFromHandlers(table: TestTable): void {
  process.env.TABLE_NAME = table.tableName;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
  process.env.AWS_REGION = LOCAL_REGION;
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
}
