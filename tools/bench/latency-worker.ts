/**
 * Forked by latency.ts: calls the products and orders handlers of the synthesized bundles the way
 * Lambda does, alternating request by request with the same DynamoDB calls made with the bare SDK.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import { tableDefinition } from '../local-api/local-table';

export interface WorkerInput {
  /** Bundle folder per function name. */
  readonly bundles: Readonly<Record<string, string>>;
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
}

export interface LatencySamples {
  /** Latencies in ms per scenario ("GET /v1/products/{id}, sequential"). */
  readonly scenarios: Record<string, { handler: number[]; bare: number[] }>;
  readonly failures: string[];
}

const ADMIN = 'bench-admin';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Call = () => Promise<unknown>;

/** An API Gateway proxy event after the REQUEST authorizer; only what the handlers read. */
function apiEvent(method: string, resource: string, sub: string, extra: Partial<APIGatewayProxyEvent>) {
  return {
    httpMethod: method,
    resource,
    path: resource,
    pathParameters: null,
    queryStringParameters: null,
    headers: { 'content-type': 'application/json' },
    body: null,
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      // Groups as the authorizer encodes them: a JSON array of strings.
      authorizer: {
        sub,
        email: `${sub}@example.com`,
        groups: JSON.stringify(sub === ADMIN ? ['admins'] : []),
      },
    },
    ...extra,
  } as unknown as APIGatewayProxyEvent;
}

const context = {
  functionName: 'bench',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 30_000,
} as Context;
const { partitionKey: PK, sortKey: SK } = TABLE_SCHEMA;

async function main(input: WorkerInput): Promise<LatencySamples> {
  const TableName = process.env.TABLE_NAME!; // the handlers' table
  const client = new DynamoDBClient({});
  await client.send(new CreateTableCommand(tableDefinition(TableName)));
  const load = (name: string) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(path.join(input.bundles[name] ?? name, 'index.js')) as { handler: Handler }).handler;
  const [products, orders] = [load('products'), load('orders')];
  const db = DynamoDBDocumentClient.from(client);
  const failures: string[] = [];
  const expect = (what: string, status: number) => (result: APIGatewayProxyResult) => {
    if (result.statusCode !== status && failures.length < 10)
      failures.push(`${what}: ${result.statusCode} ${result.body}`);
    return result;
  };

  // One product per concurrent caller, so that concurrent orders never contend for one item.
  const productIds: string[] = [];
  for (let i = 0; i < input.concurrency; i++) {
    const body = JSON.stringify({ name: `Bench product ${i}`, priceCents: 1999, stock: 1_000_000 });
    const created = await products(apiEvent('POST', '/v1/products', ADMIN, { body }), context);
    productIds.push((JSON.parse(expect('seed', 201)(created).body) as { productId: string }).productId);
  }
  const productKey = (id: string) => ({ [PK]: `PRODUCT#${id}`, [SK]: 'PRODUCT' });

  const getProduct = (id: string): [Call, Call] => [
    () =>
      products(
        apiEvent('GET', '/v1/products/{proxy+}', 'bench-customer', { pathParameters: { proxy: id } }),
        context
      ).then(expect('GET product', 200)),
    () => db.send(new GetCommand({ TableName, Key: productKey(id) })),
  ];
  // The order service's calls for a new order with an Idempotency-Key: read the idempotency
  // record, read the products, then one transaction (order, idempotency record, stock).
  const placeOrder = (id: string, userId: string): [Call, Call] => [
    () => {
      const headers = { 'content-type': 'application/json', 'Idempotency-Key': randomUUID() };
      const body = JSON.stringify({ items: [{ productId: id, quantity: 1 }] });
      return orders(apiEvent('POST', '/v1/orders', userId, { headers, body }), context).then(
        expect('POST order', 201)
      );
    },
    async () => {
      const idempotency = { [PK]: `IDEMPOTENCY#${userId}#${randomUUID()}`, [SK]: 'IDEMPOTENCY' };
      await db.send(new GetCommand({ TableName, Key: idempotency, ConsistentRead: true }));
      await db.send(
        new BatchGetCommand({
          RequestItems: { [TableName]: { Keys: [productKey(id)], ConsistentRead: true } },
        })
      );
      const orderId = randomUUID();
      const order = {
        [PK]: `ORDER#${orderId}`,
        [SK]: 'ORDER',
        [TABLE_SCHEMA.gsi1.partitionKey]: `USER#${userId}`, // the service's item is in GSI1 too
        [TABLE_SCHEMA.gsi1.sortKey]: `ORDER#${new Date().toISOString()}#${orderId}`,
        orderId,
        userId,
        items: [{ productId: id, quantity: 1 }],
      };
      const ifNew = {
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      };
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: order, ...ifNew } },
            { Put: { TableName, Item: { ...idempotency, orderId }, ...ifNew } },
            {
              Update: {
                TableName,
                Key: productKey(id),
                UpdateExpression: 'SET stock = stock - :q',
                ConditionExpression: 'stock >= :q',
                ExpressionAttributeValues: { ':q': 1 },
              },
            },
          ],
        })
      );
    },
  ];

  const time = async (call: Call, into: number[]) => {
    const start = process.hrtime.bigint();
    await call();
    into.push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  /** `total` handler and `total` bare calls from `callers` concurrent callers, alternating which goes first. */
  const run = async (pair: (slot: number) => [Call, Call], total: number, callers: number) => {
    const samples = { handler: [] as number[], bare: [] as number[] };
    let next = 0;
    const caller = async (slot: number) => {
      const [handler, bare] = pair(slot);
      for (let i = next++; i < total; i = next++) {
        const order: Array<[Call, number[]]> = [
          [handler, samples.handler],
          [bare, samples.bare],
        ];
        for (const [call, into] of i % 2 === 0 ? order : order.reverse()) await time(call, into);
      }
    };
    await Promise.all(Array.from({ length: callers }, (_, slot) => caller(slot)));
    return samples;
  };

  const routes = {
    'GET /v1/products/{id}': () => getProduct(productIds[0]!),
    'POST /v1/orders': (slot: number) => placeOrder(productIds[slot]!, `bench-customer-${slot}`),
  };
  const scenarios: LatencySamples['scenarios'] = {};
  for (const [route, pair] of Object.entries(routes)) {
    for (const callers of [1, input.concurrency]) {
      await run(pair, input.warmup, callers); // JIT, connections, DynamoDB Local's own warm-up
      scenarios[`${route}, ${callers === 1 ? 'sequential' : `${callers} concurrent`}`] = await run(
        pair,
        input.requests,
        callers
      );
    }
  }
  db.destroy();
  return { scenarios, failures };
}

process.once('message', (input: WorkerInput) => {
  main(input)
    .then((samples) => process.send!(samples, () => process.exit(0)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
});
