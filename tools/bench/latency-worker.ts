/**
 * Runs in its own Node process (bench/latency.ts starts it): requires the deployed bundles of the
 * products and orders functions and calls their handlers the way Lambda does, next to the same
 * DynamoDB operations issued with the bare SDK, against DynamoDB Local. Writes latencies (ms) to
 * the result file given as the second argument; the handlers' log lines go to stdout (ignored).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type AttributeValue,
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { apiEvent, lambdaContext, type TestCaller } from '../test/support/events';
import { TABLE_SCHEMA } from '../functions/shared/table-schema';

export interface LatencyWorkerConfig {
  readonly bundlesDir: string;
  readonly tableName: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
}

/** Per scenario: one latency per request, handler and bare SDK interleaved request by request. */
export interface LatencyWorkerResult {
  readonly scenarios: Record<
    string,
    { readonly handlerMs: number[]; readonly bareMs: number[]; readonly wallMs: number }
  >;
  readonly failures: string[];
}

/** Plain values to DynamoDB attribute values (strings, numbers, lists, maps: all the bench writes). */
function attribute(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (Array.isArray(value)) return { L: value.map(attribute) };
  if (value !== null && typeof value === 'object') return { M: marshall(value as Record<string, unknown>) };
  throw new Error(`cannot marshall ${String(value)}`);
}

function marshall(item: Record<string, unknown>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([key, value]) => [key, attribute(value)]));
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const { partitionKey: PK, sortKey: SK } = TABLE_SCHEMA;
const ADMIN: TestCaller = { sub: 'bench-admin', groups: ['admins'] };
const PRICE_CENTS = 1999;
const STOCK = 1_000_000;

function loadHandler(bundlesDir: string, name: string): Handler {
  // The bundles keep the AWS SDK external; NODE_PATH (set by the parent) resolves it, as on Lambda.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(bundlesDir, name, 'index.js')) as { handler: Handler }).handler;
}

async function timedCall(call: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const [configFile, resultFile] = process.argv.slice(2);
  if (!configFile || !resultFile) throw new Error('usage: latency-worker <config.json> <result.json>');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as LatencyWorkerConfig;
  const products = loadHandler(config.bundlesDir, 'products');
  const orders = loadHandler(config.bundlesDir, 'orders');
  const db = new DynamoDBClient({});
  const failures: string[] = [];

  const expectStatus = (
    what: string,
    result: APIGatewayProxyResult,
    status: number
  ): APIGatewayProxyResult => {
    if (result.statusCode !== status && failures.length < 20) {
      failures.push(`${what}: ${result.statusCode} ${result.body.slice(0, 200)}`);
    }
    return result;
  };

  // One product per concurrent slot, so concurrent orders never contend for one item.
  const productIds: string[] = [];
  for (let i = 0; i < Math.max(1, config.concurrency); i++) {
    const created = await products(
      apiEvent({
        method: 'POST',
        resource: '/v1/products',
        caller: ADMIN,
        body: { name: `Bench product ${i}`, priceCents: PRICE_CENTS, stock: STOCK },
      }),
      lambdaContext('products')
    );
    expectStatus('seed product', created, 201);
    productIds.push((JSON.parse(created.body) as { productId: string }).productId);
  }

  const getProduct = (productId: string) => () =>
    products(
      apiEvent({
        method: 'GET',
        resource: '/v1/products/{proxy+}',
        pathParameters: { proxy: productId },
        caller: { sub: 'bench-customer' },
      }),
      lambdaContext('products')
    ).then((result) => expectStatus('GET product', result, 200));

  // The product GetItem as the repository issues it (eventually consistent, whole item).
  const bareGetProduct = (productId: string) => () =>
    db.send(
      new GetItemCommand({
        TableName: config.tableName,
        Key: marshall({ [PK]: `PRODUCT#${productId}`, [SK]: 'PRODUCT' }),
      })
    );

  const placeOrder = (productId: string, userId: string) => () =>
    orders(
      apiEvent({
        method: 'POST',
        resource: '/v1/orders',
        caller: { sub: userId },
        headers: { 'Idempotency-Key': randomUUID() },
        body: { items: [{ productId, quantity: 1 }] },
      }),
      lambdaContext('orders')
    ).then((result) => expectStatus('POST order', result, 201));

  /**
   * The DynamoDB calls the order service makes for a new order with an Idempotency-Key: GetItem
   * of the idempotency record (consistent; a miss), BatchGetItem of the products (consistent),
   * then one TransactWriteItems: Put order, Put idempotency record, Update stock per line.
   */
  const bareOrder = (productId: string, userId: string) => async () => {
    const orderId = randomUUID();
    const key = `IDEMPOTENCY#${userId}#${randomUUID()}`;
    const now = new Date().toISOString();
    await db.send(
      new GetItemCommand({
        TableName: config.tableName,
        Key: marshall({ [PK]: key, [SK]: 'IDEMPOTENCY' }),
        ConsistentRead: true,
      })
    );
    await db.send(
      new BatchGetItemCommand({
        RequestItems: {
          [config.tableName]: {
            Keys: [marshall({ [PK]: `PRODUCT#${productId}`, [SK]: 'PRODUCT' })],
            ConsistentRead: true,
          },
        },
      })
    );
    const line = {
      productId,
      name: 'Bench product',
      quantity: 1,
      unitPriceCents: PRICE_CENTS,
      lineTotalCents: PRICE_CENTS,
    };
    const order: Record<string, unknown> = {
      [PK]: `ORDER#${orderId}`,
      [SK]: 'ORDER',
      [TABLE_SCHEMA.gsi1.partitionKey]: `USER#${userId}`,
      [TABLE_SCHEMA.gsi1.sortKey]: `ORDER#${now}#${orderId}`,
      entityType: 'Order',
      orderId,
      userId,
      status: 'PLACED',
      items: [line],
      totalCents: PRICE_CENTS,
      createdAt: now,
      updatedAt: now,
    };
    const names = { '#pk': PK };
    const values: Record<string, AttributeValue> = {
      ':quantity': { N: '1' },
      ':price': { N: String(PRICE_CENTS) },
    };
    await db.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: config.tableName,
              Item: marshall(order),
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: names,
            },
          },
          {
            Put: {
              TableName: config.tableName,
              Item: marshall({
                [PK]: key,
                [SK]: 'IDEMPOTENCY',
                entityType: 'IdempotencyRecord',
                orderId,
                requestHash: 'bench',
                createdAt: now,
                expiresAt: Math.floor(Date.now() / 1000) + 86_400,
              }),
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: names,
            },
          },
          {
            Update: {
              TableName: config.tableName,
              Key: marshall({ [PK]: `PRODUCT#${productId}`, [SK]: 'PRODUCT' }),
              UpdateExpression: 'SET stock = stock - :quantity',
              ConditionExpression: 'attribute_exists(#pk) AND stock >= :quantity AND priceCents = :price',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      })
    );
  };

  type Pair = (slot: number) => { handler: () => Promise<unknown>; bare: () => Promise<unknown> };
  const pairs: Record<string, Pair> = {
    'GET /v1/products/{id}': () => ({
      handler: getProduct(productIds[0]!),
      bare: bareGetProduct(productIds[0]!),
    }),
    'POST /v1/orders': (slot) => ({
      handler: placeOrder(productIds[slot]!, `bench-customer-${slot}`),
      bare: bareOrder(productIds[slot]!, `bench-customer-${slot}`),
    }),
  };

  /** `total` handler calls and `total` bare calls, alternating, over `concurrency` slots. */
  const run = async (pair: Pair, total: number, concurrency: number) => {
    const handlerMs: number[] = [];
    const bareMs: number[] = [];
    let next = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, slot) => {
        const { handler, bare } = pair(slot);
        while (next < total) {
          const i = next++;
          // Alternate which goes first, so neither always runs right after the other.
          if (i % 2 === 0) {
            handlerMs.push(await timedCall(handler));
            bareMs.push(await timedCall(bare));
          } else {
            bareMs.push(await timedCall(bare));
            handlerMs.push(await timedCall(handler));
          }
        }
      })
    );
    return { handlerMs, bareMs, wallMs: Number(process.hrtime.bigint() - start) / 1e6 };
  };

  const scenarios: LatencyWorkerResult['scenarios'] = {};
  for (const [route, pair] of Object.entries(pairs)) {
    await run(pair, config.warmup, 1); // JIT, connections, DynamoDB Local's own warm-up
    scenarios[`${route}\tsequential`] = await run(pair, config.requests, 1);
    if (config.concurrency > 1) {
      await run(pair, config.warmup, config.concurrency);
      scenarios[`${route}\t${config.concurrency} concurrent`] = await run(
        pair,
        config.requests,
        config.concurrency
      );
    }
  }
  db.destroy();
  const result: LatencyWorkerResult = { scenarios, failures };
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
