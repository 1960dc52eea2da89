import { randomUUID } from 'node:crypto';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Product } from '../../functions/shared/products/model';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import type { TestCaller } from '../support/events';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';
import { invoke, type ErrorBody, type ProxyHandler, type Response } from './support/http';
import { captureOutput, type OutputCapture } from './support/output';

const PRODUCTS = '/v1/products';
const PRODUCTS_PROXY = '/v1/products/{proxy+}';
const admin: TestCaller = { sub: 'admin-1', groups: ['admins'] };
const shopper: TestCaller = { sub: 'shopper-1', groups: [] };
const widget = { name: 'Widget', description: 'A fine widget', priceCents: 1_999, stock: 7 };

interface ProductPage {
  items: Product[];
  nextCursor: string | null;
}

let table: TestTable;
let output: OutputCapture;
let products: ProxyHandler;

beforeAll(async () => {
  table = await createTestTable('products');
  useTableFromHandlers(table);
  process.env.POWERTOOLS_SERVICE_NAME = 'products';
  process.env.LOG_LEVEL = 'INFO';
  process.env.CORS_ALLOWED_ORIGINS = 'https://app.example.com,http://localhost:3000';
  output = captureOutput();
  // Imported only now: the handler reads the environment and creates its clients at module scope.
  ({ handler: products } = await import('../../functions/products/index'));
});

afterAll(async () => {
  output.restore();
  await table.destroy();
});

function create<T = Product>(caller: TestCaller | null, body: unknown = widget): Promise<Response<T>> {
  return invoke<T>(products, { method: 'POST', resource: PRODUCTS, caller, body });
}

function onProduct<T = Product>(
  method: string,
  caller: TestCaller,
  proxy: string,
  body?: unknown,
  headers?: Record<string, string>
): Promise<Response<T>> {
  return invoke<T>(products, {
    method,
    resource: PRODUCTS_PROXY,
    pathParameters: { proxy },
    caller,
    body,
    headers,
  });
}

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

describe('admin writes', () => {
  it('creates, replaces and deletes a product', async () => {
    const created = await create(admin);
    const id = created.body.productId;

    expect(created.status).toBe(201);
    expect(created.headers.Location).toBe(`/v1/products/${id}`);
    expect(created.body).toMatchObject(widget);
    expect(await stored(id)).toMatchObject({ ...widget, productId: id });

    expect([created.headers.ETag, created.body.version]).toEqual(['"1"', 1]);

    const replaced = await onProduct(
      'PUT',
      admin,
      id,
      { name: 'Widget 2', priceCents: 2_500 },
      { 'If-Match': '"1"' }
    );
    expect(replaced.status).toBe(200);
    expect(replaced.headers.ETag).toBe('"2"');
    // PUT leaves stock alone: it changes by restocks and orders only.
    expect(replaced.body).toMatchObject({ productId: id, name: 'Widget 2', priceCents: 2_500, stock: 7 });
    // PUT replaces: the description that was not sent is gone.
    expect(replaced.body.description).toBeUndefined();
    expect(replaced.body.createdAt).toBe(created.body.createdAt);

    const deleted = await onProduct<undefined>('DELETE', admin, id);
    expect(deleted.status).toBe(204);
    expect(await stored(id)).toBeUndefined();
  });

  it('refuses non-admins with 403 before looking at the body, and writes nothing', async () => {
    const existing = (await create(admin)).body.productId;

    const responses = await Promise.all([
      create<ErrorBody>(shopper),
      create<ErrorBody>(shopper, { priceCents: 'free' }),
      onProduct<ErrorBody>('PUT', shopper, existing, { ...widget, stock: 1_000 }, { 'If-Match': '"1"' }),
      onProduct<ErrorBody>('PUT', shopper, existing, { name: 'Mine' }),
      onProduct<ErrorBody>('POST', shopper, `${existing}/restock`, { quantity: 1_000 }),
      onProduct<ErrorBody>('DELETE', shopper, existing),
    ]);

    expect(responses.map((response) => [response.status, response.body.error])).toEqual(
      Array(6).fill([403, 'forbidden'])
    );
    expect(await stored(existing)).toMatchObject({ stock: widget.stock });
  });

  it.each([
    [{ ...widget, priceCents: 12.5 }, 'priceCents'],
    [{ ...widget, priceCents: -1 }, 'priceCents'],
    [{ ...widget, priceCents: '1999' }, 'priceCents'],
    [{ ...widget, stock: -1 }, 'stock'],
    [{ ...widget, stock: 1.5 }, 'stock'],
    [{ ...widget, name: '' }, 'name'],
    [{ name: 'No price', stock: 1 }, 'priceCents'],
    [{ ...widget, colour: 'red' }, 'colour'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await create<ErrorBody>(admin, body);

    expect(response.status).toBe(400);
    expect(response.body.error).toBe('validation_error');
    expect(response.body.message).toContain(`${field}:`);
  });

  it('answers 400, not 500, to JSON nested 30,000 deep, and writes nothing', async () => {
    // Found by property.test.ts (seed -82768900): the Unicode check of the parsed body recursed and
    // overflowed the stack. 60,000 bytes: under the 64 KiB limit.
    const depth = 30_000;
    const before = (await table.client.send(new ScanCommand({ TableName: table.tableName }))).Count;
    const response = await create<ErrorBody>(admin, `${'['.repeat(depth)}1${']'.repeat(depth)}`);

    expect([response.status, response.body.error]).toEqual([400, 'validation_error']);
    expect((await table.client.send(new ScanCommand({ TableName: table.tableName }))).Count).toBe(before);
  });

  it('answers 404 for PUT and DELETE of an unknown product, creating nothing', async () => {
    const id = randomUUID();

    const edit = { name: widget.name, description: widget.description, priceCents: widget.priceCents };
    const put = await onProduct<ErrorBody>('PUT', admin, id, edit, { 'If-Match': '"1"' });
    const del = await onProduct<ErrorBody>('DELETE', admin, id);

    expect([put.status, put.body.error]).toEqual([404, 'not_found']);
    expect([del.status, del.body.error]).toEqual([404, 'not_found']);
    expect(await stored(id)).toBeUndefined();
  });
});

describe('reads', () => {
  it('lets any signed-in caller read a product', async () => {
    const id = (await create(admin)).body.productId;

    const response = await onProduct('GET', shopper, id);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ productId: id, ...widget });
    // Table keys are storage details, not part of the API.
    expect(response.body).not.toHaveProperty(TABLE_SCHEMA.partitionKey);
    expect(response.body).not.toHaveProperty(TABLE_SCHEMA.gsi1.partitionKey);
  });

  it.each([randomUUID(), 'x'.repeat(500), 'semi;colon'])('answers 404 for the unknown id %s', async (id) => {
    const response = await onProduct<ErrorBody>('GET', shopper, id);

    expect(response.status).toBe(404);
    expect(response.body.error).toBe('not_found');
  });

  it('pages through the catalogue with limit and cursor', async () => {
    for (let i = 0; i < 3; i++) await create(admin, { ...widget, name: `Paged ${i}` });

    const first = await invoke<ProductPage>(products, {
      method: 'GET',
      resource: PRODUCTS,
      caller: shopper,
      query: { limit: '2' },
    });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const second = await invoke<ProductPage>(products, {
      method: 'GET',
      resource: PRODUCTS,
      caller: shopper,
      query: { limit: '2', cursor: first.body.nextCursor! },
    });
    expect(second.status).toBe(200);
    const firstIds = first.body.items.map((product) => product.productId);
    for (const product of second.body.items) expect(firstIds).not.toContain(product.productId);

    const tampered = await invoke(products, {
      method: 'GET',
      resource: PRODUCTS,
      caller: shopper,
      query: { cursor: `${first.body.nextCursor!.slice(0, -4)}AAAA` },
    });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error).toBe('invalid_cursor');
  });
});

describe('routing and authentication', () => {
  it('answers 401 without authorizer context', async () => {
    const response = await invoke(products, { method: 'GET', resource: PRODUCTS });

    expect(response.status).toBe(401);
  });

  it('answers 405 with an Allow header for a method the path does not have', async () => {
    const collection = await invoke(products, { method: 'PATCH', resource: PRODUCTS, caller: admin });
    const item = await onProduct<ErrorBody>('POST', admin, 'some-id');

    expect([collection.status, collection.headers.Allow]).toEqual([405, 'GET, POST']);
    expect([item.status, item.headers.Allow]).toEqual([405, 'GET, PUT, DELETE']);
    const restock = await onProduct<ErrorBody>('GET', admin, 'some-id/restock');
    expect([restock.status, restock.headers.Allow]).toEqual([405, 'POST']);
  });

  it('answers 404 for a path below a product', async () => {
    const response = await onProduct<ErrorBody>('GET', shopper, 'some-id/reviews');

    expect(response.status).toBe(404);
    expect(response.body.error).toBe('route_not_found');
  });

  it('answers a generic 500 without internals when the table is unreachable', async () => {
    let broken: ProxyHandler | undefined;
    process.env.TABLE_NAME = 'no-such-table';
    try {
      await jest.isolateModulesAsync(async () => {
        ({ handler: broken } = await import('../../functions/products/index'));
      });
    } finally {
      process.env.TABLE_NAME = table.tableName;
    }
    output.clear();

    const response = await invoke(broken!, { method: 'GET', resource: PRODUCTS, caller: shopper });

    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: 'internal_error', message: 'Internal server error' });
    expect(output.records()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'Unhandled error' })
    );
  });

  it('fails the cold start when TABLE_NAME is missing', async () => {
    delete process.env.TABLE_NAME;
    try {
      await jest.isolateModulesAsync(async () => {
        await expect(import('../../functions/products/index')).rejects.toThrow(
          'TABLE_NAME environment variable is not set'
        );
      });
    } finally {
      process.env.TABLE_NAME = table.tableName;
    }
  });
});

describe('CORS on the actual responses (API Gateway only answers the preflight)', () => {
  test('echoes an allowed Origin on success and on error responses', async () => {
    const ok = await invoke(products, {
      method: 'GET',
      resource: PRODUCTS,
      caller: shopper,
      headers: { Origin: 'https://app.example.com' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.example.com',
      Vary: 'Origin',
    });

    const denied = await invoke(products, {
      method: 'GET',
      resource: PRODUCTS,
      caller: null,
      headers: { origin: 'http://localhost:3000' },
    });
    expect(denied.status).toBe(401);
    expect(denied.headers).toMatchObject({ 'Access-Control-Allow-Origin': 'http://localhost:3000' });
  });

  test('sends no CORS header to an origin that is not allowed', async () => {
    const response = await invoke(products, {
      method: 'GET',
      resource: PRODUCTS,
      caller: shopper,
      headers: { Origin: 'https://evil.example.net' },
    });
    expect(response.status).toBe(200);
    expect(response.headers).not.toHaveProperty('Access-Control-Allow-Origin');
  });
});
