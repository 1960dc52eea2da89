/**
 * The API end to end over HTTP(S), as a client uses it: users, products and orders (Beta's
 * integration and acceptance tests in the deployment pipeline reference). Where it runs comes from
 * the environment (support/target.ts): the local API by default (`npm test`, `npm run
 * test:integration`), the deployed dev API in the pipeline's IntegrationTests step. It makes its
 * own users and product and deletes them, even when a test fails. docs/integration-tests.md.
 */
import { randomUUID } from 'node:crypto';
import { type Order } from '../../functions/shared/orders/model';
import { type Product } from '../../functions/shared/products/model';
import { type ApiCall, apiClient } from './support/api-client';
import { type ApiTarget, startTarget, targetKind, type TestUser } from './support/target';

/** Users, the product and the sign-ins: Cognito calls and cold starts in the cloud. */
const SETUP_TIMEOUT_MS = 120_000;
const PRODUCT_STOCK = 10;
const PRODUCT_PRICE_CENTS = 1250;
const ORDER_QUANTITY = 3;
/** Pages of the catalogue searched for the test's product (100 each). */
const MAX_CATALOGUE_PAGES = 10;
const PAGE_SIZE = 100;

let target: ApiTarget | undefined;
let call: ApiCall;
let admin: TestUser;
let customer: TestUser;
/** What the run made through the API, deleted in afterAll if a test did not get to it. */
let productId: string | undefined;
let profileCreated = false;
let order: Order | undefined;
const idempotencyKey = randomUUID();

beforeAll(async () => {
  target = await startTarget();
  call = apiClient(target);
  [admin, customer] = await Promise.all([
    target.createUser({ admin: true, label: 'admin' }),
    target.createUser({ admin: false, label: 'customer' }),
  ]);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (!target) return;
  try {
    // Through the API, as the tests would have; a 404 means a test already deleted it.
    if (order?.status === 'PLACED') {
      await call('POST', `/v1/orders/${order.orderId}/cancel`, { as: customer });
    }
    if (profileCreated) await call('DELETE', `/v1/users/${customer.sub}`, { as: customer });
    if (productId) await call('DELETE', `/v1/products/${productId}`, { as: admin });
  } finally {
    // The users (Cognito in the cloud) and the local server go whatever happened above.
    await target.dispose();
  }
}, SETUP_TIMEOUT_MS);

function requireProduct(): string {
  if (!productId) throw new Error('no product: the test that creates it failed');
  return productId;
}

function requireOrder(): Order {
  if (!order) throw new Error('no order: the test that places it failed');
  return order;
}

async function stockOf(id: string): Promise<number> {
  const answer = await call('GET', `/v1/products/${id}`, { as: customer });
  expect(answer.status).toBe(200);
  return (answer.body as Product).stock;
}

const placeOrder = (key: string, quantity: number) =>
  call('POST', '/v1/orders', {
    as: customer,
    headers: { 'Idempotency-Key': key },
    body: { items: [{ productId: requireProduct(), quantity }] },
  });

describe(`the API end to end (${targetKind(process.env)} target)`, () => {
  test('GET /health answers 200 healthy without credentials', async () => {
    const health = await call('GET', '/health');

    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'healthy' });
  });

  test('a /v1 call without a token is refused with 401 in the API error shape', async () => {
    const answer = await call('GET', '/v1/products', { headers: { 'x-api-key': target!.apiKey } });

    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
  });

  describe('users', () => {
    test('a signed-in user creates their profile (201) and reads it back', async () => {
      const created = await call('POST', '/v1/users', {
        as: customer,
        body: { givenName: 'Integration', familyName: 'Customer' },
      });
      expect(created.status).toBe(201);
      profileCreated = true;
      expect(created.body).toMatchObject({
        userId: customer.sub,
        email: customer.email,
        givenName: 'Integration',
        familyName: 'Customer',
      });

      const read = await call('GET', `/v1/users/${customer.sub}`, { as: customer });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);
    });

    test("another user's profile is forbidden (403)", async () => {
      const answer = await call('GET', `/v1/users/${admin.sub}`, { as: customer });

      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: 'forbidden' });
    });
  });

  describe('products', () => {
    test('a customer may not create a product (403)', async () => {
      const answer = await call('POST', '/v1/products', {
        as: customer,
        body: { name: 'Not allowed', priceCents: 1, stock: 1 },
      });

      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: 'forbidden' });
    });

    test('an admin creates a product (201, Location)', async () => {
      const answer = await call('POST', '/v1/products', {
        as: admin,
        body: {
          name: `Integration test product ${idempotencyKey.slice(0, 8)}`,
          description: 'Made and deleted by the integration suite',
          priceCents: PRODUCT_PRICE_CENTS,
          stock: PRODUCT_STOCK,
        },
      });

      expect(answer.status).toBe(201);
      const product = answer.body as Product;
      productId = product.productId;
      expect(product).toMatchObject({ priceCents: PRODUCT_PRICE_CENTS, stock: PRODUCT_STOCK });
      expect(answer.headers.get('location')).toBe(`/v1/products/${product.productId}`);
    });

    test('a customer lists the catalogue (pages) and finds the product, then reads it by id', async () => {
      const id = requireProduct();
      let found: Product | undefined;
      let cursor: string | null = null;
      for (let page = 0; page < MAX_CATALOGUE_PAGES && !found; page++) {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const answer = await call('GET', `/v1/products?limit=${PAGE_SIZE}${query}`, { as: customer });
        expect(answer.status).toBe(200);
        const body = answer.body as { items: Product[]; nextCursor: string | null };
        expect(Array.isArray(body.items)).toBe(true);
        found = body.items.find((p) => p.productId === id);
        cursor = body.nextCursor;
        if (!cursor) break;
      }
      expect(found).toMatchObject({ productId: id, stock: PRODUCT_STOCK });

      const one = await call('GET', `/v1/products/${id}`, { as: customer });
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ productId: id, priceCents: PRODUCT_PRICE_CENTS });
    });
  });

  describe('orders', () => {
    test('a quantity of 0 is refused with 400 naming items[0].quantity, and takes no stock', async () => {
      const answer = await placeOrder(randomUUID(), 0);

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: 'validation_error',
        message: expect.stringContaining('items[0].quantity'),
      });
      expect(await stockOf(requireProduct())).toBe(PRODUCT_STOCK);
    });

    test('places an order with an Idempotency-Key (201): stock goes down by the quantity', async () => {
      const answer = await placeOrder(idempotencyKey, ORDER_QUANTITY);

      expect(answer.status).toBe(201);
      expect(answer.headers.get('idempotent-replayed')).toBeNull();
      order = answer.body as Order;
      expect(order).toMatchObject({
        userId: customer.sub,
        status: 'PLACED',
        items: [
          {
            productId: requireProduct(),
            quantity: ORDER_QUANTITY,
            unitPriceCents: PRODUCT_PRICE_CENTS,
            lineTotalCents: ORDER_QUANTITY * PRODUCT_PRICE_CENTS,
          },
        ],
        totalCents: ORDER_QUANTITY * PRODUCT_PRICE_CENTS,
      });
      expect(answer.headers.get('location')).toBe(`/v1/orders/${order.orderId}`);
      expect(await stockOf(requireProduct())).toBe(PRODUCT_STOCK - ORDER_QUANTITY);
    });

    test('reads the order (200) and finds it among my orders', async () => {
      const placed = requireOrder();

      const one = await call('GET', `/v1/orders/${placed.orderId}`, { as: customer });
      expect(one.status).toBe(200);
      expect(one.body).toEqual(placed);

      const mine = await call('GET', '/v1/orders', { as: customer });
      expect(mine.status).toBe(200);
      expect((mine.body as { items: Order[] }).items.map((o) => o.orderId)).toContain(placed.orderId);
    });

    test('a retry with the same key answers the same order, flagged Idempotent-Replayed, and takes no stock', async () => {
      const placed = requireOrder();

      const retry = await placeOrder(idempotencyKey, ORDER_QUANTITY);

      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body).toEqual(placed);
      expect(await stockOf(requireProduct())).toBe(PRODUCT_STOCK - ORDER_QUANTITY);
    });

    test('the same key with another body is refused (422)', async () => {
      const answer = await placeOrder(idempotencyKey, ORDER_QUANTITY + 1);

      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ error: 'idempotency_key_reused' });
    });

    test('cancels the order (200, CANCELLED): the stock is restored', async () => {
      const placed = requireOrder();

      const cancelled = await call('POST', `/v1/orders/${placed.orderId}/cancel`, { as: customer });

      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ orderId: placed.orderId, status: 'CANCELLED' });
      order = cancelled.body as Order;
      expect(await stockOf(requireProduct())).toBe(PRODUCT_STOCK);
    });
  });

  describe('cleaning up through the API', () => {
    test('the customer deletes their profile (204), which is then gone (404)', async () => {
      const deleted = await call('DELETE', `/v1/users/${customer.sub}`, { as: customer });
      expect(deleted.status).toBe(204);
      profileCreated = false;

      const read = await call('GET', `/v1/users/${customer.sub}`, { as: customer });
      expect(read.status).toBe(404);
    });

    test('the admin deletes the product (204), which is then gone (404)', async () => {
      const id = requireProduct();

      const deleted = await call('DELETE', `/v1/products/${id}`, { as: admin });
      expect(deleted.status).toBe(204);
      productId = undefined;

      const read = await call('GET', `/v1/products/${id}`, { as: customer });
      expect(read.status).toBe(404);
    });
  });
});
