import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '../../functions/shared/orders/model';
import { MAX_STOCK, type Product } from '../../functions/shared/products/model';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import type { TestCaller } from '../support/events';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';
import { type ErrorBody, invoke, type ProxyHandler, type Response } from './support/http';
import { captureOutput, type OutputCapture } from './support/output';

/**
 * Issue 15 item 1: an edit never overwrites stock changes it did not see. Products carry a version
 * that every write advances (edits, restocks, order placement and cancellation); PUT applies only
 * to the version named in If-Match, and stock changes only by deltas. Real handlers, DynamoDB Local.
 */

const PRODUCTS = '/v1/products';
const PRODUCTS_PROXY = '/v1/products/{proxy+}';
const admin: TestCaller = { sub: 'versions-admin', groups: ['admins'] };
const shopper: TestCaller = { sub: 'versions-shopper', groups: [] };

let table: TestTable;
let output: OutputCapture;
let products: ProxyHandler;
let orders: ProxyHandler;

beforeAll(async () => {
  table = await createTestTable('versions');
  useTableFromHandlers(table);
  delete process.env.ORDER_EVENTS_QUEUE_URL; // events are logged, not sent
  process.env.POWERTOOLS_SERVICE_NAME = 'versions';
  process.env.LOG_LEVEL = 'WARN';
  output = captureOutput();
  ({ handler: products } = await import('../../functions/products/index'));
  ({ handler: orders } = await import('../../functions/orders/index'));
});

afterAll(async () => {
  output.restore();
  await table.destroy();
});

async function createProduct(stock: number, priceCents = 1_000): Promise<string> {
  const response = await invoke<Product>(products, {
    method: 'POST',
    resource: PRODUCTS,
    caller: admin,
    body: { name: 'Versioned', priceCents, stock },
  });
  expect(response.status).toBe(201);
  return response.body.productId;
}

function getProduct(productId: string): Promise<Response<Product>> {
  return invoke<Product>(products, {
    method: 'GET',
    resource: PRODUCTS_PROXY,
    pathParameters: { proxy: productId },
    caller: admin,
  });
}

function putProduct(
  productId: string,
  body: unknown,
  headers: Record<string, string> = {}
): Promise<Response<Product & ErrorBody>> {
  return invoke<Product & ErrorBody>(products, {
    method: 'PUT',
    resource: PRODUCTS_PROXY,
    pathParameters: { proxy: productId },
    caller: admin,
    body,
    headers,
  });
}

function restock(productId: string, body: unknown, caller = admin): Promise<Response<Product & ErrorBody>> {
  return invoke<Product & ErrorBody>(products, {
    method: 'POST',
    resource: PRODUCTS_PROXY,
    pathParameters: { proxy: `${productId}/restock` },
    caller,
    body,
  });
}

function placeOrder(productId: string, quantity: number): Promise<Response<Order & ErrorBody>> {
  return invoke<Order & ErrorBody>(orders, {
    method: 'POST',
    resource: '/v1/orders',
    caller: shopper,
    body: { items: [{ productId, quantity }] },
    headers: { 'Idempotency-Key': randomUUID() },
  });
}

/** Read straight from the table: what the handler answers is not evidence of what it wrote. */
async function stored(productId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: { [TABLE_SCHEMA.partitionKey]: `PRODUCT#${productId}`, [TABLE_SCHEMA.sortKey]: 'PRODUCT' },
      ConsistentRead: true,
    })
  );
  return Item;
}

describe('the lost update of the issue', () => {
  it('refuses the stale save of an admin who loaded stock 10 before 7 units sold (412), and stock stays 3', async () => {
    const productId = await createProduct(10, 1_000);
    const loaded = await getProduct(productId);
    expect([loaded.body.stock, loaded.headers.ETag]).toEqual([10, '"1"']);

    expect((await placeOrder(productId, 7)).status).toBe(201);
    const staleSave = await putProduct(
      productId,
      { name: 'Versioned', priceCents: 1_200 },
      { 'If-Match': String(loaded.headers.ETag) }
    );

    expect([staleSave.status, staleSave.body.error]).toEqual([412, 'precondition_failed']);
    // The 412 names the current version, so a client whose GET was served from a cache can recover.
    expect(staleSave.headers.ETag).toBe('"2"');
    expect(await stored(productId)).toMatchObject({ stock: 3, priceCents: 1_000, version: 2 });

    const reloaded = await getProduct(productId);
    const save = await putProduct(
      productId,
      { name: 'Versioned', priceCents: 1_200 },
      { 'If-Match': String(reloaded.headers.ETag) }
    );
    expect([save.status, save.body.stock, save.body.priceCents, save.headers.ETag]).toEqual([
      200,
      3,
      1_200,
      '"3"',
    ]);
  });
});

describe('PUT preconditions', () => {
  it.each([
    ['no If-Match', {}],
    ['If-Match: *', { 'If-Match': '*' }],
  ])('answers 428 precondition_required for %s and writes nothing', async (_, headers) => {
    const productId = await createProduct(4);

    const response = await putProduct(productId, { name: 'Edited', priceCents: 5 }, headers);

    expect([response.status, response.body.error]).toEqual([428, 'precondition_required']);
    expect(response.body.message).toContain('If-Match');
    expect(await stored(productId)).toMatchObject({ name: 'Versioned', priceCents: 1_000, version: 1 });
  });

  it.each(['W/"1"', '1', '"1", "2"', '"abc"', '"-1"'])(
    'answers 412 to the If-Match %s, which can never be the current ETag, and writes nothing',
    async (ifMatch) => {
      const productId = await createProduct(4);

      const response = await putProduct(
        productId,
        { name: 'Edited', priceCents: 5 },
        { 'If-Match': ifMatch }
      );

      expect([response.status, response.body.error, response.headers.ETag]).toEqual([
        412,
        'precondition_failed',
        '"1"',
      ]);
      expect(await stored(productId)).toMatchObject({ name: 'Versioned', version: 1 });
    }
  );

  it('refuses a stock field in PUT with 400 pointing at restock, and writes nothing', async () => {
    const productId = await createProduct(4);

    const response = await putProduct(
      productId,
      { name: 'Edited', priceCents: 5, stock: 10 },
      { 'If-Match': '"1"' }
    );

    expect([response.status, response.body.error]).toEqual([400, 'validation_error']);
    expect(response.body.message).toMatch(/^stock: .*restock/);
    expect(await stored(productId)).toMatchObject({ name: 'Versioned', stock: 4, version: 1 });
  });

  it('answers 404 for an unknown product with an If-Match, creating nothing', async () => {
    const productId = randomUUID();

    const response = await putProduct(productId, { name: 'Edited', priceCents: 5 }, { 'If-Match': '"1"' });

    expect([response.status, response.body.error]).toEqual([404, 'not_found']);
    expect(await stored(productId)).toBeUndefined();
  });

  it('treats a product stored before versions existed as version 0', async () => {
    const productId = randomUUID();
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          [TABLE_SCHEMA.partitionKey]: `PRODUCT#${productId}`,
          [TABLE_SCHEMA.sortKey]: 'PRODUCT',
          productId,
          name: 'Legacy',
          priceCents: 100,
          stock: 5,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      })
    );

    const loaded = await getProduct(productId);
    const stale = await putProduct(productId, { name: 'Renamed', priceCents: 100 }, { 'If-Match': '"1"' });
    const saved = await putProduct(productId, { name: 'Renamed', priceCents: 100 }, { 'If-Match': '"0"' });

    expect([loaded.headers.ETag, loaded.body.version]).toEqual(['"0"', 0]);
    expect(stale.status).toBe(412);
    expect([saved.status, saved.headers.ETag, saved.body.stock]).toEqual([200, '"1"', 5]);
  });
});

describe('every write advances the version', () => {
  it('order placement, cancellation and restocks each make an earlier ETag stale', async () => {
    const productId = await createProduct(10);

    const order = await placeOrder(productId, 2);
    const afterOrder = await stored(productId);
    const cancel = await invoke<Order>(orders, {
      method: 'POST',
      resource: '/v1/orders/{proxy+}',
      pathParameters: { proxy: `${order.body.orderId}/cancel` },
      caller: shopper,
    });
    const afterCancel = await stored(productId);
    const restocked = await restock(productId, { quantity: 5 });

    expect([order.status, cancel.status, restocked.status]).toEqual([201, 200, 200]);
    expect([afterOrder?.version, afterOrder?.stock]).toEqual([2, 8]);
    expect([afterCancel?.version, afterCancel?.stock]).toEqual([3, 10]);
    expect([restocked.body.version, restocked.body.stock, restocked.headers.ETag]).toEqual([4, 15, '"4"']);
    for (const etag of ['"1"', '"2"', '"3"']) {
      expect(
        (await putProduct(productId, { name: 'Late', priceCents: 1 }, { 'If-Match': etag })).status
      ).toBe(412);
    }
  });

  it('lists products with their version, the ETag of each item', async () => {
    const productId = await createProduct(1);
    await restock(productId, { quantity: 1 });

    const page = await invoke<{ items: Product[] }>(products, {
      method: 'GET',
      resource: PRODUCTS,
      caller: shopper,
      query: { limit: '100' },
    });

    expect(page.body.items.find((item) => item.productId === productId)).toMatchObject({
      version: 2,
      stock: 2,
    });
  });
});

describe('POST /v1/products/{id}/restock', () => {
  it('adds the quantity to the stock as it is now, not as the admin last saw it', async () => {
    const productId = await createProduct(10);
    await placeOrder(productId, 4);

    const response = await restock(productId, { quantity: 5 });

    expect(response.status).toBe(200);
    expect(await stored(productId)).toMatchObject({ stock: 11 });
  });

  it('is for admins only (403), checked before the body', async () => {
    const productId = await createProduct(3);

    const response = await restock(productId, { quantity: 'lots' }, shopper);

    expect([response.status, response.body.error]).toEqual([403, 'forbidden']);
    expect(await stored(productId)).toMatchObject({ stock: 3, version: 1 });
  });

  it.each([
    [{ quantity: 0 }, 'quantity:'],
    [{ quantity: -3 }, 'quantity:'],
    [{ quantity: 1.5 }, 'quantity:'],
    [{ quantity: '5' }, 'quantity:'],
    [{ quantity: MAX_STOCK + 1 }, 'quantity:'],
    [{}, 'quantity:'],
    [{ quantity: 1, stock: 5 }, 'stock: unknown field'],
  ])('answers 400 for %j and writes nothing', async (body, message) => {
    const productId = await createProduct(3);

    const response = await restock(productId, body);

    expect([response.status, response.body.error]).toEqual([400, 'validation_error']);
    expect(response.body.message).toContain(message);
    expect(await stored(productId)).toMatchObject({ stock: 3, version: 1 });
  });

  it('answers 404 for an unknown product and creates no stub item', async () => {
    const productId = randomUUID();

    const response = await restock(productId, { quantity: 2 });

    expect([response.status, response.body.error]).toEqual([404, 'not_found']);
    expect(await stored(productId)).toBeUndefined();
  });

  it(`answers 409 stock_limit_exceeded when the stock would pass ${MAX_STOCK}, changing nothing`, async () => {
    const productId = await createProduct(MAX_STOCK - 10);

    const over = await restock(productId, { quantity: 11 });
    const exact = await restock(productId, { quantity: 10 });

    expect([over.status, over.body.error]).toEqual([409, 'stock_limit_exceeded']);
    expect([exact.status, exact.body.stock]).toEqual([200, MAX_STOCK]);
  });
});
