import { randomUUID } from 'node:crypto';
import { type BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../functions/shared/dynamodb';
import { DependencyUnavailableError } from '../../functions/shared/errors';
import { MAX_BODY_BYTES } from '../../functions/shared/http/request';
import {
  BATCH_GET_MAX_ATTEMPTS,
  DynamoDbProductRepository,
} from '../../functions/shared/products/repository';
import type { TestCaller } from '../support/events';
import { apiEvent, lambdaContext } from '../support/events';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';
import { type ProxyHandler, invoke } from './support/http';
import { captureOutput, type OutputCapture } from './support/output';

/** Behaviour the mutation run of issue 15 found handled but unpinned by any test. */

const admin: TestCaller = { sub: 'pins-admin', groups: ['admins'] };
let table: TestTable;
let output: OutputCapture;
let products: ProxyHandler;

beforeAll(async () => {
  table = await createTestTable('pins');
  useTableFromHandlers(table);
  process.env.POWERTOOLS_SERVICE_NAME = 'pins';
  process.env.LOG_LEVEL = 'WARN';
  output = captureOutput();
  ({ handler: products } = await import('../../functions/products/index'));
});

afterAll(async () => {
  output.restore();
  await table.destroy();
});

const cursorOf = (key: Record<string, string>): string =>
  Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
const id = '6c69b7ce-3e80-4b2f-8e74-942e57757903';
const genuine = { PK: `PRODUCT#${id}`, SK: 'PRODUCT', GSI1PK: 'PRODUCTS', GSI1SK: `PRODUCT#${id}` };

it.each([
  ['another listing partition', { ...genuine, GSI1PK: 'USERS' }],
  ['another sort key', { ...genuine, SK: 'PROFILE' }],
  ['a non-product item', { ...genuine, PK: `USER#${id}` }],
  ['an index key not matching the item', { ...genuine, GSI1SK: 'PRODUCT#other' }],
])('refuses a well-formed but forged products cursor (%s) with 400', async (_, key) => {
  const answer = await invoke(products, {
    method: 'GET',
    resource: '/v1/products',
    caller: admin,
    query: { cursor: cursorOf(key) },
  });
  const control = await invoke(products, {
    method: 'GET',
    resource: '/v1/products',
    caller: admin,
    query: { cursor: cursorOf(genuine) },
  });

  expect([answer.status, answer.body.error]).toEqual([400, 'invalid_cursor']);
  expect(control.status).toBe(200);
});

it('passes DynamoDB failures other than a failed condition out of replace, restock and delete (never 404)', async () => {
  const broken = new DynamoDbProductRepository(createDocumentClient(), 'no-such-table');
  const now = new Date().toISOString();

  await expect(broken.replace(id, { name: 'x', priceCents: 1 }, 1, now)).rejects.toMatchObject({
    name: 'ResourceNotFoundException',
  });
  await expect(broken.restock(id, 1, now)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  await expect(broken.delete(id)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});

it(`gives up on UnprocessedKeys after ${BATCH_GET_MAX_ATTEMPTS} BatchGetItem calls with a clear error`, async () => {
  const db = createDocumentClient();
  let calls = 0;
  // Real DynamoDB Local; a middleware turns every answer into "all keys unprocessed" (throttling).
  db.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      if (args.input && 'RequestItems' in args.input) {
        calls++;
        const output = result.output as { Responses?: unknown; UnprocessedKeys?: unknown };
        const input = args.input as ConstructorParameters<typeof BatchGetCommand>[0];
        output.Responses = {};
        output.UnprocessedKeys = input.RequestItems;
      }
      return result;
    },
    { step: 'initialize', name: 'throttleEverything' }
  );
  const repository = new DynamoDbProductRepository(db, table.tableName);

  const read = repository.getMany([randomUUID()]);

  await expect(read).rejects.toThrow(DependencyUnavailableError);
  await expect(read).rejects.toThrow(`after ${BATCH_GET_MAX_ATTEMPTS} attempts`);
  expect(calls).toBe(BATCH_GET_MAX_ATTEMPTS);
});

describe('request bodies', () => {
  const base64Product = (bytes: number): string => {
    const json = JSON.stringify({ name: 'Padded', priceCents: 1, stock: 1 });
    return Buffer.from(json + ' '.repeat(bytes - Buffer.byteLength(json)), 'utf8').toString('base64');
  };
  const post = (body: string, isBase64Encoded: boolean) =>
    products(
      { ...apiEvent({ method: 'POST', resource: '/v1/products', caller: admin, body }), isBase64Encoded },
      lambdaContext()
    );

  it('decodes base64 bodies and applies the 64 KiB limit to the decoded body at exactly its boundary', async () => {
    const atLimit = await post(base64Product(MAX_BODY_BYTES), true);
    const overLimit = await post(base64Product(MAX_BODY_BYTES + 1), true);

    expect(atLimit.statusCode).toBe(201);
    expect(overLimit.statusCode).toBe(413);
  });

  it('refuses lone surrogates and accepts emoji', async () => {
    const lone = await post('{"name":"bad \\ud800","priceCents":1,"stock":1}', false);
    const emoji = await post(JSON.stringify({ name: 'Party 🎉', priceCents: 1, stock: 1 }), false);

    expect([lone.statusCode, JSON.parse(lone.body).error]).toEqual([400, 'invalid_json']);
    expect([emoji.statusCode, JSON.parse(emoji.body).name]).toEqual([201, 'Party 🎉']);
  });
});
