import { randomUUID } from 'node:crypto';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '../../functions/shared/orders/model';
import type { Product } from '../../functions/shared/products/model';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import type { TestCaller } from '../support/events';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';
import { type ErrorBody, invoke, type ProxyHandler, type Response } from './support/http';
import { captureOutput, type OutputCapture } from './support/output';

/**
 * Races on stock through the real orders handler and DynamoDB Local: many requests in flight at
 * once, then the table itself (not the responses) is checked. DynamoDB Local runs transactions
 * one at a time, so the interesting part is the handler's own read-check-write cycle: every
 * request reads stock before its transaction, so most of them decide on stale data and only the
 * transaction's conditions keep stock from going negative.
 */

const ORDERS = '/v1/orders';
const ORDERS_PROXY = '/v1/orders/{proxy+}';
const admin: TestCaller = { sub: 'concurrency-admin', groups: ['admins'] };

let table: TestTable;
let output: OutputCapture;
let orders: ProxyHandler;
let products: ProxyHandler;

beforeAll(async () => {
  table = await createTestTable('concurrency');
  useTableFromHandlers(table);
  delete process.env.ORDER_EVENTS_QUEUE_URL; // events are logged, not sent
  process.env.POWERTOOLS_SERVICE_NAME = 'concurrency';
  process.env.LOG_LEVEL = 'WARN';
  output = captureOutput();
  // Imported only now: the handlers read the environment and create their clients at module scope.
  ({ handler: orders } = await import('../../functions/orders/index'));
  ({ handler: products } = await import('../../functions/products/index'));
});

afterAll(async () => {
  output.restore();
  await table.destroy();
});

afterEach(() => output.clear());

function customer(label: string): TestCaller {
  return { sub: `${label}-${randomUUID()}`, groups: [] };
}

async function createProduct(stock: number): Promise<string> {
  const response = await invoke<Product>(products, {
    method: 'POST',
    resource: '/v1/products',
    caller: admin,
    body: { name: 'Contended', priceCents: 1_000, stock },
  });
  expect(response.status).toBe(201);
  return response.body.productId;
}

function placeOrder(
  caller: TestCaller,
  productId: string,
  quantity: number,
  headers: Record<string, string> = {}
): Promise<Response<Order & ErrorBody>> {
  return invoke<Order & ErrorBody>(orders, {
    method: 'POST',
    resource: ORDERS,
    caller,
    body: { items: [{ productId, quantity }] },
    headers: { 'Idempotency-Key': randomUUID(), ...headers },
  });
}

function cancelOrder(caller: TestCaller, orderId: string): Promise<Response<Order & ErrorBody>> {
  return invoke<Order & ErrorBody>(orders, {
    method: 'POST',
    resource: ORDERS_PROXY,
    pathParameters: { proxy: `${orderId}/cancel` },
    caller,
  });
}

/** Read straight from the table: what the handler answers is not evidence of what it wrote. */
async function stockOf(productId: string): Promise<number> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: { [TABLE_SCHEMA.partitionKey]: `PRODUCT#${productId}`, [TABLE_SCHEMA.sortKey]: 'PRODUCT' },
      ConsistentRead: true,
    })
  );
  if (typeof Item?.stock !== 'number') throw new Error(`product ${productId} has no numeric stock`);
  return Item.stock;
}

/** Every item of the table whose sort key is `sortKey`, with a full (paginated) Scan. */
async function scanBySortKey(sortKey: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        ConsistentRead: true,
        FilterExpression: '#sk = :sk',
        ExpressionAttributeNames: { '#sk': TABLE_SCHEMA.sortKey },
        ExpressionAttributeValues: { ':sk': sortKey },
        ExclusiveStartKey: startKey,
      })
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** The ORDER items of the table that contain this product. */
async function storedOrdersOf(productId: string): Promise<Order[]> {
  const items = (await scanBySortKey('ORDER')) as unknown as Order[];
  return items.filter((order) => order.items.some((line) => line.productId === productId));
}

/**
 * Reads the stock over and over while a race runs, so a moment below zero would be seen even if
 * the final figure were right.
 */
function watchStock(productId: string): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) samples.push(await stockOf(productId));
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

function count<T>(values: readonly T[], predicate: (value: T) => boolean): number {
  return values.filter(predicate).length;
}

function statusesOf(responses: readonly Response<ErrorBody>[]): string {
  const tally = new Map<string, number>();
  for (const { status, body } of responses) {
    const key = status >= 400 ? `${status} ${body.error}` : String(status);
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return [...tally.entries()].map(([key, n]) => `${key} ×${n}`).join(', ');
}

it('50 simultaneous orders for a stock of 10: exactly 10 placed, 40 refused, stock 0 and never below', async () => {
  const productId = await createProduct(10);
  const watcher = watchStock(productId);

  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) => placeOrder(customer(`racer${i}`), productId, 1))
  );

  const samples = await watcher.stop();
  const placed = responses.filter((response) => response.status === 201);
  const refused = responses.filter(
    (response) => response.status === 409 && response.body.error === 'insufficient_stock'
  );
  const finalStock = await stockOf(productId);
  const stored = await storedOrdersOf(productId);
  console.log(
    `50 concurrent orders for stock 10: placed ${placed.length}, rejected ${refused.length} (insufficient_stock), ` +
      `final stock ${finalStock}, lowest stock seen ${Math.min(...samples)} over ${samples.length} reads, ` +
      `[${statusesOf(responses)}]`
  );

  expect(placed).toHaveLength(10);
  expect(refused).toHaveLength(40);
  expect(new Set(placed.map((response) => response.body.orderId)).size).toBe(10);
  expect(finalStock).toBe(0);
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
  // The table holds exactly the ten orders that were answered 201, no more (no half-written losers).
  expect(stored).toHaveLength(10);
  expect(stored.map((order) => order.orderId).sort()).toEqual(
    placed.map((response) => response.body.orderId).sort()
  );
  expect(stored.every((order) => order.status === 'PLACED')).toBe(true);
});

it('20 concurrent retries with one Idempotency-Key place one order and reserve stock once', async () => {
  const productId = await createProduct(100);
  const caller = customer('retrier');
  const key = randomUUID();

  const responses = await Promise.all(
    Array.from({ length: 20 }, () => placeOrder(caller, productId, 3, { 'Idempotency-Key': key }))
  );

  const finalStock = await stockOf(productId);
  const orderIds = new Set(responses.map((response) => response.body.orderId));
  const replayed = count(responses, (response) => response.headers['Idempotent-Replayed'] === 'true');
  const stored = await storedOrdersOf(productId);
  const records = (await scanBySortKey('IDEMPOTENCY')).filter((item) =>
    String(item[TABLE_SCHEMA.partitionKey]).startsWith(`IDEMPOTENCY#${caller.sub}#`)
  );
  console.log(
    `20 concurrent retries with one Idempotency-Key: ${orderIds.size} order id(s), ${replayed} replayed, ` +
      `stock 100 -> ${finalStock} [${statusesOf(responses)}]`
  );

  expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
  expect(orderIds.size).toBe(1);
  // One request placed it; the other 19 were told it was a replay of that one.
  expect(replayed).toBe(19);
  expect(finalStock).toBe(97);
  expect(stored).toHaveLength(1);
  expect(stored[0]!.orderId).toBe([...orderIds][0]);
  expect(records).toHaveLength(1);
  expect(records[0]!.orderId).toBe(stored[0]!.orderId);
});

function pause(maxMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * maxMs));
}

it('cancellations racing new orders for the freed stock keep stock + placed quantities constant', async () => {
  const initialStock = 10;
  const productId = await createProduct(initialStock);
  const owners = Array.from({ length: 10 }, (_, i) => customer(`owner${i}`));
  const original = await Promise.all(owners.map((owner) => placeOrder(owner, productId, 1)));
  expect(original.map((response) => response.status)).toEqual(Array(10).fill(201));
  expect(await stockOf(productId)).toBe(0);

  const watcher = watchStock(productId);
  // The ten owners cancel while twenty newcomers (quantities 1 to 3) keep trying to order, as
  // impatient clients would: each retries until it gets an order or, once every cancellation has
  // been answered, has had one last try. So they fight over the stock as it is freed.
  let cancelsDone = false;
  const cancelling = Promise.all(
    owners.map((owner, i) => cancelOrder(owner, original[i]!.body.orderId))
  ).then((answers) => {
    cancelsDone = true;
    return answers;
  });
  const newcomers = Array.from({ length: 20 }, (_, i) => ({
    caller: customer(`late${i}`),
    quantity: (i % 3) + 1,
  }));
  const ordering = Promise.all(
    newcomers.map(async ({ caller, quantity }) => {
      const answers: Response<Order & ErrorBody>[] = [];
      for (let attempt = 0; attempt < 500; attempt++) {
        const lastTry = cancelsDone;
        const response = await placeOrder(caller, productId, quantity);
        answers.push(response);
        if (response.status === 201 || lastTry) break;
        await pause(10);
      }
      return { quantity, answers, placed: answers.find((response) => response.status === 201) };
    })
  );
  const [cancels, attempts] = await Promise.all([cancelling, ordering]);

  const samples = await watcher.stop();
  const allOrderAnswers = attempts.flatMap(({ answers }) => answers);
  const winners = attempts.filter(({ placed }) => placed !== undefined);
  const losers = attempts.filter(({ placed }) => placed === undefined);
  const finalStock = await stockOf(productId);
  const stored = await storedOrdersOf(productId);
  const placedInTable = stored.filter((order) => order.status === 'PLACED');
  const reservedInTable = placedInTable.reduce(
    (sum, order) => sum + order.items.reduce((lines, line) => lines + line.quantity, 0),
    0
  );
  console.log(
    `10 cancels racing 20 new orders for the freed stock (initial stock ${initialStock}): ` +
      `cancelled ${count(cancels, (r) => r.status === 200)}, new orders placed ${winners.length} ` +
      `(${winners.reduce((sum, { quantity }) => sum + quantity, 0)} units), rejected ${losers.length}, ` +
      `${allOrderAnswers.length} order attempts; final stock ${finalStock} + ${reservedInTable} units in PLACED ` +
      `orders = ${finalStock + reservedInTable}; lowest stock seen ${Math.min(...samples)} over ` +
      `${samples.length} reads ` +
      `[cancels: ${statusesOf(cancels)}; order attempts: ${statusesOf(allOrderAnswers)}]`
  );

  // Every answer is one the API documents for a race; a 500 or anything else fails the test.
  for (const response of cancels) {
    expect(response.status === 200 || response.body.error === 'concurrent_update').toBe(true);
  }
  for (const response of allOrderAnswers) {
    expect(
      response.status === 201 ||
        (response.status === 409 && ['insufficient_stock', 'concurrent_update'].includes(response.body.error))
    ).toBe(true);
  }
  // The invariant: stock is conserved and never negative, and the table agrees with the answers.
  expect(finalStock + reservedInTable).toBe(initialStock);
  expect(finalStock).toBeGreaterThanOrEqual(0);
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
  const cancelledIds = new Set(
    cancels.filter((response) => response.status === 200).map((response) => response.body.orderId)
  );
  const expectedPlaced = [
    ...original.map((response) => response.body.orderId).filter((id) => !cancelledIds.has(id)),
    ...winners.map(({ placed }) => placed!.body.orderId),
  ].sort();
  expect(placedInTable.map((order) => order.orderId).sort()).toEqual(expectedPlaced);
  expect(
    stored
      .filter((order) => order.status === 'CANCELLED')
      .map((order) => order.orderId)
      .sort()
  ).toEqual([...cancelledIds].sort());
  // The freed stock went to the newcomers: each loser's last try came after every cancellation,
  // so it was refused only because less than its quantity was left.
  expect(winners.length).toBeGreaterThan(0);
  for (const { quantity } of losers) expect(finalStock).toBeLessThan(quantity);
});

function productRequest(
  method: string,
  proxy: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Response<Product & ErrorBody>> {
  return invoke<Product & ErrorBody>(products, {
    method,
    resource: '/v1/products/{proxy+}',
    pathParameters: { proxy },
    caller: admin,
    body,
    headers,
  });
}

/**
 * An admin's edit as a careful client makes it: read the product, save a new name with the ETag
 * that read returned, and on 412 read again and reapply (up to 30 tries). Answers every PUT's reply.
 */
async function editName(productId: string, name: string): Promise<Response<Product & ErrorBody>[]> {
  const answers: Response<Product & ErrorBody>[] = [];
  for (let attempt = 0; attempt < 30 && answers.at(-1)?.status !== 200; attempt++) {
    const read = await productRequest('GET', productId);
    await pause(20);
    answers.push(
      await productRequest(
        'PUT',
        productId,
        { name, priceCents: 1_000 },
        { 'If-Match': String(read.headers.ETag) }
      )
    );
  }
  return answers;
}

it('20 concurrent edits, orders and restocks: stock = initial - sold + restocked, never below zero', async () => {
  const initialStock = 10;
  const productId = await createProduct(initialStock);
  const watcher = watchStock(productId);

  // Interleaved so that edits read the product between sales and restocks of it.
  const [editAnswers, orderAnswers, restocks] = await Promise.all([
    Promise.all(Array.from({ length: 20 }, (_, index) => editName(productId, `Edit ${index}`))),
    Promise.all(Array.from({ length: 20 }, () => placeOrder(customer('mixed'), productId, 2))),
    Promise.all(
      Array.from({ length: 20 }, () => productRequest('POST', `${productId}/restock`, { quantity: 1 }))
    ),
  ]);
  const samples = await watcher.stop();
  const edits = editAnswers.flat();
  const stored = await storedOrdersOf(productId);
  const sold = stored.reduce((sum, order) => sum + (order.items[0]?.quantity ?? 0), 0);
  const restocked = count(restocks, (response) => response.status === 200);
  const savedEdits = count(edits, (response) => response.status === 200);
  const product = await productRequest('GET', productId);
  console.log(
    `20 edits + 20 orders (2 units) + 20 restocks (1 unit), initial stock ${initialStock}: ` +
      `edits [${statusesOf(edits)}], orders [${statusesOf(orderAnswers)}], restocks [${statusesOf(restocks)}]; ` +
      `sold ${sold}, restocked ${restocked}, final stock ${product.body.stock} (version ${product.body.version}); ` +
      `lowest stock seen ${Math.min(...samples)} over ${samples.length} reads`
  );

  // Every save either applied to the version it read or was refused as stale; none reset stock.
  expect(edits.every((response) => [200, 412].includes(response.status))).toBe(true);
  expect(savedEdits).toBe(20);
  expect(
    edits.filter((response) => response.status === 412).every((r) => r.body.error === 'precondition_failed')
  ).toBe(true);
  expect(restocked).toBe(20);
  expect(
    orderAnswers.every(
      (response) =>
        response.status === 201 ||
        (response.status === 409 && ['insufficient_stock', 'concurrent_update'].includes(response.body.error))
    )
  ).toBe(true);
  expect(stored).toHaveLength(count(orderAnswers, (response) => response.status === 201));
  expect(product.body.stock).toBe(initialStock - sold + restocked);
  expect(Math.min(...samples, product.body.stock)).toBeGreaterThanOrEqual(0);
  // The version counts the writes: creation, each sale, each restock and each saved edit.
  expect(product.body.version).toBe(1 + stored.length + restocked + savedEdits);
});
