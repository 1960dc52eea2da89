import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '../../functions/shared/orders/model';
import type { OrderEvent } from '../../functions/shared/orders/events';
import type { Product } from '../../functions/shared/products/model';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import type { TestCaller } from '../support/events';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';
import { startFakeSqs, type FakeSqs } from './support/fake-sqs';
import { invoke, type ErrorBody, type ProxyHandler, type Response } from './support/http';
import { captureOutput, metricRecords, type OutputCapture } from './support/output';

const ORDERS = '/v1/orders';
const ORDERS_PROXY = '/v1/orders/{proxy+}';
const admin: TestCaller = { sub: 'admin-1', groups: ['admins'] };

interface OrderPage {
  items: Order[];
  nextCursor: string | null;
}

let table: TestTable;
let sqs: FakeSqs;
let output: OutputCapture;
let orders: ProxyHandler;
let products: ProxyHandler;

beforeAll(async () => {
  table = await createTestTable('orders');
  sqs = await startFakeSqs();
  useTableFromHandlers(table);
  process.env.ORDER_EVENTS_QUEUE_URL = sqs.queueUrl;
  process.env.AWS_ENDPOINT_URL_SQS = sqs.endpoint;
  process.env.POWERTOOLS_SERVICE_NAME = 'orders';
  process.env.LOG_LEVEL = 'INFO';
  output = captureOutput();
  // Imported only now: the handlers read the environment and create their clients at module scope.
  ({ handler: orders } = await import('../../functions/orders/index'));
  ({ handler: products } = await import('../../functions/products/index'));
});

afterAll(async () => {
  output.restore();
  await sqs.close();
  await table.destroy();
});

beforeEach(() => output.clear());

/** A caller of their own, so each test sees only its own orders. */
function newCustomer(): TestCaller {
  return { sub: `user-${randomUUID()}`, groups: [] };
}

async function createProduct(stock: number, priceCents = 1_250, name = 'Widget'): Promise<string> {
  const response = await invoke<Product>(products, {
    method: 'POST',
    resource: '/v1/products',
    caller: admin,
    body: { name, priceCents, stock },
  });
  expect(response.status).toBe(201);
  return response.body.productId;
}

/** Read straight from the table: what the handler claims is not evidence of what it wrote. */
async function stockOf(productId: string): Promise<number | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: { [TABLE_SCHEMA.partitionKey]: `PRODUCT#${productId}`, [TABLE_SCHEMA.sortKey]: 'PRODUCT' },
      ConsistentRead: true,
    })
  );
  return Item?.stock as number | undefined;
}

/** With a fresh Idempotency-Key unless `headers` brings its own (or `null` to send none). */
function placeOrder<T = Order>(
  caller: TestCaller | null,
  body: unknown,
  headers: Record<string, string> | null = {}
): ReturnType<typeof invoke<T>> {
  const hasKey = Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'idempotency-key');
  const sent = headers === null || hasKey ? (headers ?? {}) : { 'Idempotency-Key': randomUUID(), ...headers };
  return invoke<T>(orders, { method: 'POST', resource: ORDERS, caller, body, headers: sent });
}

function getOrder<T = Order>(caller: TestCaller, orderId: string): ReturnType<typeof invoke<T>> {
  return invoke<T>(orders, {
    method: 'GET',
    resource: ORDERS_PROXY,
    pathParameters: { proxy: orderId },
    caller,
  });
}

function cancelOrder<T = Order>(caller: TestCaller, orderId: string): ReturnType<typeof invoke<T>> {
  return invoke<T>(orders, {
    method: 'POST',
    resource: ORDERS_PROXY,
    pathParameters: { proxy: `${orderId}/cancel` },
    caller,
  });
}

function listOrders<T = OrderPage>(
  caller: TestCaller,
  query?: Record<string, string>
): ReturnType<typeof invoke<T>> {
  return invoke<T>(orders, { method: 'GET', resource: ORDERS, caller, query });
}

function eventsFor(orderId: string): OrderEvent[] {
  return sqs.messages
    .map((message) => JSON.parse(message.body) as OrderEvent)
    .filter((event) => event.order.orderId === orderId);
}

describe('POST /v1/orders', () => {
  it('places the order, reserves stock, announces OrderPlaced and records OrderValue', async () => {
    const beans = await createProduct(10, 1_999, 'Beans');
    const jug = await createProduct(3, 999, 'Jug');
    const alice = newCustomer();

    const response = await placeOrder(alice, {
      items: [
        { productId: beans, quantity: 2 },
        { productId: jug, quantity: 1 },
      ],
    });

    expect(response.status).toBe(201);
    expect(response.headers['Content-Type']).toBe('application/json');
    const order = response.body;
    expect(response.headers.Location).toBe(`/v1/orders/${order.orderId}`);
    expect(order).toMatchObject({
      userId: alice.sub,
      status: 'PLACED',
      totalCents: 2 * 1_999 + 999,
      items: [
        { productId: beans, name: 'Beans', quantity: 2, unitPriceCents: 1_999, lineTotalCents: 3_998 },
        { productId: jug, name: 'Jug', quantity: 1, unitPriceCents: 999, lineTotalCents: 999 },
      ],
    });
    expect(await stockOf(beans)).toBe(8);
    expect(await stockOf(jug)).toBe(2);

    const [event, ...others] = eventsFor(order.orderId);
    expect(others).toHaveLength(0);
    expect(event).toMatchObject({ type: 'OrderPlaced', order });
    expect(sqs.messages.find((m) => m.body.includes(order.orderId))?.attributes.eventType?.StringValue).toBe(
      'OrderPlaced'
    );

    const [metric] = metricRecords(output, 'OrderValue');
    expect(metric).toMatchObject({
      OrderValue: order.totalCents,
      _aws: {
        CloudWatchMetrics: [{ Namespace: 'MyApp/Orders', Metrics: [{ Name: 'OrderValue', Unit: 'None' }] }],
      },
    });
  });

  it('rejects an order that would overdraw any stock and changes nothing', async () => {
    const plenty = await createProduct(10);
    const scarce = await createProduct(1);
    const alice = newCustomer();

    const response = await placeOrder<ErrorBody>(alice, {
      items: [
        { productId: plenty, quantity: 4 },
        { productId: scarce, quantity: 2 },
      ],
    });

    expect(response.status).toBe(409);
    expect(response.body.error).toBe('insufficient_stock');
    expect(response.body.message).toContain(scarce);
    expect(await stockOf(plenty)).toBe(10);
    expect(await stockOf(scarce)).toBe(1);
    expect((await listOrders(alice)).body.items).toHaveLength(0);
    expect(metricRecords(output, 'OrderValue')).toHaveLength(0);
  });

  it('answers 404 naming the line of a product that does not exist, reserving nothing', async () => {
    const real = await createProduct(5);

    const response = await placeOrder<ErrorBody>(newCustomer(), {
      items: [
        { productId: real, quantity: 1 },
        { productId: 'no-such-product', quantity: 1 },
      ],
    });

    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error: 'not_found',
      message: 'items[1].productId: product no-such-product does not exist',
    });
    expect(await stockOf(real)).toBe(5);
  });

  it.each([
    [{ items: [{ productId: 'p1', quantity: 0 }] }, 'items[0].quantity'],
    [{ items: [{ productId: 'p1', quantity: 1.5 }] }, 'items[0].quantity'],
    [{ items: [{ productId: 'p1' }] }, 'items[0].quantity'],
    [{ items: [{ productId: 'not/an id', quantity: 1 }] }, 'items[0].productId'],
    [
      {
        items: [
          { productId: 'p1', quantity: 1 },
          { productId: 'p1', quantity: 2 },
        ],
      },
      'items[1].productId',
    ],
    [{ items: [] }, 'items'],
    [{ items: [{ productId: 'p1', quantity: 1, priceCents: 1 }] }, 'items[0].priceCents'],
    [{ lines: [] }, 'items'],
    [[], 'body'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await placeOrder<ErrorBody>(newCustomer(), body);

    expect(response.status).toBe(400);
    expect(response.body.error).toBe('validation_error');
    expect(response.body.message).toContain(`${field}:`);
  });

  it('answers 400 invalid_json for a body that is not JSON, and for no body', async () => {
    const malformed = await placeOrder<ErrorBody>(newCustomer(), '{"items": [');
    const missing = await invoke(orders, {
      method: 'POST',
      resource: ORDERS,
      caller: newCustomer(),
      headers: { 'Idempotency-Key': randomUUID() },
    });

    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('invalid_json');
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_json');
  });

  it('answers 413 for a body over 64 KiB without parsing it', async () => {
    const response = await placeOrder<ErrorBody>(
      newCustomer(),
      `{"items": [], "padding": "${'x'.repeat(64 * 1024)}"}`
    );

    expect(response.status).toBe(413);
    expect(response.body.error).toBe('payload_too_large');
  });

  it('answers 401 when there is no authorizer context', async () => {
    const response = await placeOrder<ErrorBody>(null, { items: [{ productId: 'p1', quantity: 1 }] });

    expect(response.status).toBe(401);
    expect(response.body.error).toBe('unauthorized');
  });

  it('reserves stock for exactly as many concurrent orders as there is stock', async () => {
    const product = await createProduct(5);
    const customers = Array.from({ length: 20 }, newCustomer);

    const responses = await Promise.all(
      customers.map((customer) =>
        placeOrder<Order | ErrorBody>(customer, { items: [{ productId: product, quantity: 1 }] })
      )
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status === 409)).toHaveLength(15);
    expect(await stockOf(product)).toBe(0);
  });
});

describe('Idempotency-Key', () => {
  it('returns the same order for a retried request and reserves stock once', async () => {
    const product = await createProduct(10);
    const alice = newCustomer();
    const key = randomUUID();
    const body = { items: [{ productId: product, quantity: 3 }] };

    const first = await placeOrder(alice, body, { 'Idempotency-Key': key });
    const retry = await placeOrder(alice, body, { 'idempotency-key': key });

    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.orderId).toBe(first.body.orderId);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(first.headers['Idempotent-Replayed']).toBeUndefined();
    expect(await stockOf(product)).toBe(7);
    expect((await listOrders(alice)).body.items).toHaveLength(1);
    expect(eventsFor(first.body.orderId)).toHaveLength(1);
    expect(metricRecords(output, 'OrderValue')).toHaveLength(1);
  });

  it('places one order when the same request races itself', async () => {
    const product = await createProduct(10);
    const alice = newCustomer();
    const key = randomUUID();

    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        placeOrder(alice, { items: [{ productId: product, quantity: 2 }] }, { 'Idempotency-Key': key })
      )
    );

    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(responses.map((response) => response.body.orderId)).size).toBe(1);
    expect(await stockOf(product)).toBe(8);
  });

  it('answers 422 when the key is reused with a different body, changing nothing', async () => {
    const product = await createProduct(10);
    const alice = newCustomer();
    const key = randomUUID();
    await placeOrder(alice, { items: [{ productId: product, quantity: 1 }] }, { 'Idempotency-Key': key });

    const reuse = await placeOrder<ErrorBody>(
      alice,
      { items: [{ productId: product, quantity: 5 }] },
      { 'Idempotency-Key': key }
    );

    expect(reuse.status).toBe(422);
    expect(reuse.body.error).toBe('idempotency_key_reused');
    expect(await stockOf(product)).toBe(9);
  });

  it('scopes keys to the caller: another user with the same key gets their own order', async () => {
    const product = await createProduct(10);
    const key = randomUUID();
    const body = { items: [{ productId: product, quantity: 1 }] };

    const alices = await placeOrder(newCustomer(), body, { 'Idempotency-Key': key });
    const bobs = await placeOrder(newCustomer(), body, { 'Idempotency-Key': key });

    expect(bobs.status).toBe(201);
    expect(bobs.body.orderId).not.toBe(alices.body.orderId);
    expect(await stockOf(product)).toBe(8);
  });

  it('answers 428 idempotency_key_required without a key, reserving and writing nothing', async () => {
    const product = await createProduct(5);
    const alice = newCustomer();

    const response = await placeOrder<ErrorBody>(
      alice,
      { items: [{ productId: product, quantity: 1 }] },
      null
    );

    expect([response.status, response.body.error]).toEqual([428, 'idempotency_key_required']);
    expect(response.body.message).toContain('Idempotency-Key');
    expect(await stockOf(product)).toBe(5);
    expect((await listOrders(alice)).body.items).toHaveLength(0);
  });

  it('tells a client whose request timed out about the order it placed when it retries with the key', async () => {
    const product = await createProduct(10);
    const alice = newCustomer();
    const key = randomUUID();
    const body = { items: [{ productId: product, quantity: 2 }] };

    // The client gives up before the answer arrives; the server carries on and commits the order.
    let firstAnswered = false;
    const abandoned = placeOrder(alice, body, { 'Idempotency-Key': key }).then(() => {
      firstAnswered = true;
    });
    const clientTimeout = new Promise<'timeout'>((resolve) => setImmediate(() => resolve('timeout')));
    expect(await Promise.race([abandoned.then(() => 'answered' as const), clientTimeout])).toBe('timeout');
    expect(firstAnswered).toBe(false);
    await abandoned;

    const retry = await placeOrder(alice, body, { 'Idempotency-Key': key });
    const placed = (await listOrders(alice)).body.items;

    expect(retry.status).toBe(201);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(placed.map((order) => order.orderId)).toEqual([retry.body.orderId]);
    expect(await stockOf(product)).toBe(8);
  });

  it('answers 400 for a malformed key', async () => {
    const response = await placeOrder<ErrorBody>(
      newCustomer(),
      { items: [{ productId: 'p1', quantity: 1 }] },
      { 'Idempotency-Key': 'k'.repeat(256) }
    );

    expect(response.status).toBe(400);
    expect(response.body.message).toContain('Idempotency-Key:');
  });
});

describe('GET /v1/orders/{id}', () => {
  it('shows the order to its owner and to an admin, and is a 404 for anyone else', async () => {
    const product = await createProduct(5);
    const alice = newCustomer();
    const placed = await placeOrder(alice, { items: [{ productId: product, quantity: 1 }] });

    const own = await getOrder(alice, placed.body.orderId);
    const asAdmin = await getOrder(admin, placed.body.orderId);
    const asStranger = await getOrder<ErrorBody>(newCustomer(), placed.body.orderId);

    expect(own.status).toBe(200);
    expect(own.body).toEqual(placed.body);
    expect(asAdmin.status).toBe(200);
    expect(asStranger.status).toBe(404);
    expect(asStranger.body.error).toBe('not_found');
  });

  it.each(['00000000-0000-0000-0000-000000000000', 'not an#id'])(
    'answers 404 for unknown id %s',
    async (id) => {
      const response = await getOrder<ErrorBody>(newCustomer(), id);

      expect(response.status).toBe(404);
      expect(response.body.error).toBe('not_found');
    }
  );
});

describe('GET /v1/orders', () => {
  it('pages through the caller’s own orders, newest first, with an opaque cursor', async () => {
    const product = await createProduct(50);
    const alice = newCustomer();
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      placed.push((await placeOrder(alice, { items: [{ productId: product, quantity: 1 }] })).body.orderId);
    }
    await placeOrder(newCustomer(), { items: [{ productId: product, quantity: 1 }] });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Response<OrderPage> = await listOrders(
        alice,
        cursor === null ? { limit: '2' } : { limit: '2', cursor }
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((order) => order.orderId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);

    expect(seen).toEqual([...placed].reverse());
  });

  it('answers 400 for a tampered or foreign cursor, never a 500', async () => {
    const product = await createProduct(10);
    const alice = newCustomer();
    const bob = newCustomer();
    for (const customer of [alice, alice, bob, bob]) {
      await placeOrder(customer, { items: [{ productId: product, quantity: 1 }] });
    }
    const bobsCursor = (await listOrders(bob, { limit: '1' })).body.nextCursor;
    expect(bobsCursor).not.toBeNull();
    const decoded = JSON.parse(Buffer.from(bobsCursor!, 'base64url').toString('utf8')) as Record<
      string,
      string
    >;
    const forged = (key: unknown): string => Buffer.from(JSON.stringify(key)).toString('base64url');

    const cursors = {
      bobs: bobsCursor!,
      garbage: 'not-a-cursor',
      notJson: Buffer.from('{').toString('base64url'),
      array: forged([1]),
      extraKey: forged({ ...decoded, extra: 'x' }),
      numberKey: forged({ ...decoded, SK: 1 }),
      missingKey: forged({ PK: decoded.PK }),
      // Alice's own partition, but not the key of an order.
      notAnOrder: forged({ ...decoded, GSI1PK: `USER#${alice.sub}`, PK: `USER#${alice.sub}`, SK: 'PROFILE' }),
      tooLong: 'A'.repeat(5000),
    };
    for (const [name, cursor] of Object.entries(cursors)) {
      const response = await listOrders<ErrorBody>(alice, { cursor });
      expect({ name, status: response.status, error: response.body.error }).toEqual({
        name,
        status: 400,
        error: 'invalid_cursor',
      });
    }
  });

  it.each(['0', '101', 'abc', '1.5', '-1'])('answers 400 for limit=%s', async (limit) => {
    const response = await listOrders<ErrorBody>(newCustomer(), { limit });

    expect(response.status).toBe(400);
    expect(response.body.message).toContain('limit:');
  });
});

describe('POST /v1/orders/{id}/cancel', () => {
  it('cancels a placed order, restores its stock and announces OrderCancelled; a second cancel is 409', async () => {
    const first = await createProduct(10);
    const second = await createProduct(10);
    const alice = newCustomer();
    const placed = await placeOrder(alice, {
      items: [
        { productId: first, quantity: 3 },
        { productId: second, quantity: 4 },
      ],
    });
    expect(await stockOf(first)).toBe(7);

    const cancelled = await cancelOrder(alice, placed.body.orderId);

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ orderId: placed.body.orderId, status: 'CANCELLED' });
    expect(cancelled.body.cancelledAt).toEqual(expect.any(String));
    expect(await stockOf(first)).toBe(10);
    expect(await stockOf(second)).toBe(10);
    expect((await getOrder(alice, placed.body.orderId)).body.status).toBe('CANCELLED');
    expect(eventsFor(placed.body.orderId).map((event) => event.type)).toEqual([
      'OrderPlaced',
      'OrderCancelled',
    ]);

    const again = await cancelOrder<ErrorBody>(alice, placed.body.orderId);

    expect(again.status).toBe(409);
    expect(again.body.error).toBe('order_not_cancellable');
    expect(await stockOf(first)).toBe(10);
  });

  it('restocks once when two cancels race', async () => {
    const product = await createProduct(10);
    const alice = newCustomer();
    const placed = await placeOrder(alice, { items: [{ productId: product, quantity: 4 }] });

    const responses = await Promise.all([
      cancelOrder(alice, placed.body.orderId),
      cancelOrder(alice, placed.body.orderId),
    ]);

    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    expect(await stockOf(product)).toBe(10);
  });

  it('lets an admin cancel, hides the order from strangers, and skips products deleted since', async () => {
    const kept = await createProduct(10);
    const deleted = await createProduct(10);
    const alice = newCustomer();
    const placed = await placeOrder(alice, {
      items: [
        { productId: kept, quantity: 2 },
        { productId: deleted, quantity: 2 },
      ],
    });
    await invoke(products, {
      method: 'DELETE',
      resource: '/v1/products/{proxy+}',
      pathParameters: { proxy: deleted },
      caller: admin,
    });

    const byStranger = await cancelOrder<ErrorBody>(newCustomer(), placed.body.orderId);
    const byAdmin = await cancelOrder(admin, placed.body.orderId);

    expect(byStranger.status).toBe(404);
    expect(byAdmin.status).toBe(200);
    expect(await stockOf(kept)).toBe(10);
    // Not resurrected as a stub item by the restock.
    expect(await stockOf(deleted)).toBeUndefined();
  });
});

describe('routing', () => {
  it.each([
    ['PUT', ORDERS, undefined, 'GET, POST'],
    ['DELETE', ORDERS_PROXY, 'some-order', 'GET'],
    ['GET', ORDERS_PROXY, 'some-order/cancel', 'POST'],
  ])('answers 405 with an Allow header for %s %s %s', async (method, resource, proxy, allow) => {
    const response = await invoke(orders, {
      method,
      resource,
      pathParameters: proxy === undefined ? undefined : { proxy },
      caller: newCustomer(),
    });

    expect(response.status).toBe(405);
    expect(response.body.error).toBe('method_not_allowed');
    expect(response.headers.Allow).toBe(allow);
  });

  it.each(['some-order/refund', 'a/b/c'])(
    'answers 404 for the unknown route /v1/orders/%s',
    async (proxy) => {
      const response = await invoke(orders, {
        method: 'POST',
        resource: ORDERS_PROXY,
        pathParameters: { proxy },
        caller: newCustomer(),
      });

      expect(response.status).toBe(404);
      expect(response.body.error).toBe('route_not_found');
    }
  );
});

describe('order events delivery', () => {
  it('keeps the committed order when the event cannot be sent, and logs the order id', async () => {
    const product = await createProduct(5);
    const alice = newCustomer();
    sqs.failNext(1);

    const response = await placeOrder(alice, { items: [{ productId: product, quantity: 1 }] });

    expect(response.status).toBe(201);
    expect(await stockOf(product)).toBe(4);
    expect((await getOrder(alice, response.body.orderId)).status).toBe(200);
    expect(eventsFor(response.body.orderId)).toHaveLength(0);
    const failure = output.records().find((record) => record.message === 'Order event not published');
    expect(failure).toMatchObject({
      level: 'ERROR',
      orderId: response.body.orderId,
      eventType: 'OrderPlaced',
    });
  });

  it('logs instead of sending when no queue is configured (local development)', async () => {
    const product = await createProduct(5);
    const before = sqs.messages.length;
    let localOrders: ProxyHandler | undefined;
    delete process.env.ORDER_EVENTS_QUEUE_URL;
    try {
      await jest.isolateModulesAsync(async () => {
        ({ handler: localOrders } = await import('../../functions/orders/index'));
      });
    } finally {
      process.env.ORDER_EVENTS_QUEUE_URL = sqs.queueUrl;
    }

    const response = await invoke<Order>(localOrders!, {
      method: 'POST',
      resource: ORDERS,
      caller: newCustomer(),
      body: { items: [{ productId: product, quantity: 1 }] },
      headers: { 'Idempotency-Key': randomUUID() },
    });

    expect(response.status).toBe(201);
    expect(sqs.messages).toHaveLength(before);
    expect(output.records()).toContainEqual(
      expect.objectContaining({ eventType: 'OrderPlaced', orderId: response.body.orderId })
    );
  });
});
