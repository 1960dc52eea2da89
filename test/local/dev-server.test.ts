import { generateKeyPairSync, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_ROUTES } from '../../lib/api/routes';
import { RouteTable } from '../../tools/local-api/api-gateway';
import { type DevServer, startDevServer } from '../../tools/local-api/dev-server';
import { type LocalAuth, loadLocalAuth, localSub, signIdToken } from '../../tools/local-api/local-auth';
import { SEED_PRODUCTS, seedProducts } from '../../tools/local-api/seed';
import { captureOutput, type OutputCapture } from '../functions/support/output';
import { createTestTable, type TestTable } from '../support/table';

const CORS_ORIGIN = 'http://localhost:3000';
/** `$context.requestTime`: `30/Nov/2026:00:14:52 +0000`. */
const REQUEST_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;
const [espresso, kettle] = SEED_PRODUCTS;

let table: TestTable;
let authDir: string;
let auth: LocalAuth;
let server: DevServer;
let output: OutputCapture;
const requestLog: string[] = [];

beforeAll(async () => {
  output = captureOutput();
  table = await createTestTable('dev-server');
  await seedProducts(table.client, table.tableName);
  authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-auth-'));
  auth = loadLocalAuth(authDir);
  // Port 0: the OS picks a free port, so parallel runs never collide.
  server = await startDevServer({
    port: 0,
    dynamoDbEndpoint: table.endpoint,
    tableName: table.tableName,
    apiKey: auth.apiKey,
    jwks: auth.jwks,
    corsOrigins: [CORS_ORIGIN],
    log: (line) => requestLog.push(line),
  });
});

afterAll(async () => {
  await server?.close();
  await table?.destroy();
  output?.restore();
  if (authDir) fs.rmSync(authDir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

async function call(
  method: string,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: unknown } = {}
): Promise<Answer> {
  const response = await fetch(`${server.url}${urlPath}`, {
    method,
    headers: options.headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

const tokenFor = (username: string, admin = false): string =>
  signIdToken(auth.privateKey, { username, admin });

/** The two headers every /v1 route needs, as docs/api.md documents them. */
function signedIn(username: string, options: { admin?: boolean } = {}): Record<string, string> {
  return {
    Authorization: `Bearer ${tokenFor(username, options.admin)}`,
    'x-api-key': auth.apiKey,
    'Content-Type': 'application/json',
  };
}

describe('npm run dev: the local API', () => {
  it('answers /health as the mock integration does, without any credentials', async () => {
    const health = await call('GET', '/health');

    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toBe('application/json');
    expect(health.body).toEqual({ status: 'healthy', timestamp: expect.stringMatching(REQUEST_TIME) });
  });

  describe('authentication, as API Gateway and the REQUEST authorizer do it', () => {
    it('refuses a request without a token with 401 before any handler runs', async () => {
      const answer = await call('GET', '/v1/products', { headers: { 'x-api-key': auth.apiKey } });

      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'unauthorized', message: 'Unauthorized' });
      expect(answer.headers.get('access-control-allow-origin')).toBe(CORS_ORIGIN);
    });

    it('refuses a token signed with another key (401)', async () => {
      const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const forged = signIdToken(impostor, { username: 'alice' });

      const answer = await call('GET', '/v1/products', {
        headers: { Authorization: `Bearer ${forged}`, 'x-api-key': auth.apiKey },
      });

      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'unauthorized', message: 'Unauthorized' });
    });

    it('refuses an expired token and a malformed one (401)', async () => {
      const longAgo = Math.floor(Date.now() / 1000) - 2 * 3600;
      const expired = signIdToken(auth.privateKey, { username: 'alice', now: longAgo });

      for (const authorization of [`Bearer ${expired}`, 'Bearer not-a-jwt', expired]) {
        const answer = await call('GET', '/v1/orders', {
          headers: { Authorization: authorization, 'x-api-key': auth.apiKey },
        });
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ error: 'unauthorized', message: 'Unauthorized' });
      }
    });

    it('refuses a valid token without x-api-key (401: the key is an identity source)', async () => {
      const answer = await call('GET', '/v1/products', {
        headers: { Authorization: `Bearer ${tokenFor('alice')}` },
      });

      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'unauthorized', message: 'Unauthorized' });
    });

    it('refuses an API key that is not the local usage plan key (403 Forbidden)', async () => {
      const answer = await call('GET', '/v1/products', {
        headers: { ...signedIn('alice'), 'x-api-key': 'not-the-local-key' },
      });

      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({ error: 'request_rejected', message: 'Forbidden' });
    });
  });

  describe('the route table', () => {
    it('serves every route of the table, and nothing else (403 Missing Authentication Token)', async () => {
      for (const route of API_ROUTES) {
        const concrete = route.resource.replace('{proxy+}', 'unknown-id').replace('{userId}', 'unknown-id');
        const answer = await call(route.method === 'ANY' ? 'GET' : route.method, concrete, {
          headers: signedIn('alice', { admin: true }),
          body: ['POST', 'PUT'].includes(route.method)
            ? { givenName: 'Ada', familyName: 'Lovelace' }
            : undefined,
        });
        expect({
          route: `${route.method} ${route.resource}`,
          type: answer.headers.get('x-amzn-errortype'),
        }).toEqual({
          route: `${route.method} ${route.resource}`,
          type: null,
        });
      }

      for (const [method, urlPath] of [
        ['PATCH', '/v1/users'],
        ['GET', '/v1'],
        ['GET', '/'],
        ['GET', '/v1/users/a/b'],
        ['POST', '/health'],
      ] as const) {
        const answer = await call(method, urlPath, { headers: signedIn('alice') });
        expect({ method, urlPath, status: answer.status, body: answer.body }).toEqual({
          method,
          urlPath,
          status: 403,
          body: { error: 'request_rejected', message: 'Missing Authentication Token' },
        });
      }
    });

    it('prefers a literal path part over {param} over {proxy+}, and a method over ANY', () => {
      const routes = new RouteTable(API_ROUTES);

      expect(routes.match('GET', '/v1/products')).toMatchObject({
        kind: 'route',
        route: { resource: '/v1/products', method: 'GET' },
        pathParameters: null,
      });
      expect(routes.match('POST', '/v1/products')).toMatchObject({ route: { method: 'ANY' } });
      expect(routes.match('POST', '/v1/orders/o-1/cancel')).toMatchObject({
        route: { resource: '/v1/orders/{proxy+}', method: 'ANY' },
        pathParameters: { proxy: 'o-1/cancel' },
      });
      expect(routes.match('GET', '/v1/users/u%2D1')).toMatchObject({
        route: { resource: '/v1/users/{userId}' },
        pathParameters: { userId: 'u-1' },
      });
      expect(routes.match('OPTIONS', '/v1/users')).toEqual({ kind: 'preflight', resource: '/v1/users' });
    });

    it('answers the CORS preflight of every resource', async () => {
      const answer = await call('OPTIONS', '/v1/orders', { headers: { Origin: CORS_ORIGIN } });

      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(CORS_ORIGIN);
      expect(answer.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    });

    it("validates bodies against the route's model before the handler runs (400 invalid_body)", async () => {
      const answer = await call('POST', '/v1/users', { headers: signedIn('carol'), body: { givenName: '' } });

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: 'invalid_body',
        message:
          '[object has missing required properties (["familyName"]), ' +
          'string "" is too short (length: 0, required minimum: 1)]',
      });
    });
  });

  describe('the handlers behind it, on DynamoDB Local', () => {
    it('lists the seeded catalogue for a signed-in user', async () => {
      const answer = await call('GET', '/v1/products', { headers: signedIn('alice') });

      expect(answer.status).toBe(200);
      const { items, nextCursor } = answer.body as { items: { productId: string }[]; nextCursor: unknown };
      expect(items.map((item) => item.productId).sort()).toEqual(
        SEED_PRODUCTS.map((p) => p.productId).sort()
      );
      expect(nextCursor).toBeNull();
    });

    it('passes the caller from the token to the handler: admins only may add products', async () => {
      const product = { name: 'Milk jug', priceCents: 1500, stock: 5 };

      const asCustomer = await call('POST', '/v1/products', { headers: signedIn('alice'), body: product });
      const asAdmin = await call('POST', '/v1/products', {
        headers: signedIn('root', { admin: true }),
        body: product,
      });

      expect(asCustomer.status).toBe(403);
      expect(asCustomer.body).toMatchObject({ error: 'forbidden' });
      expect(asAdmin.status).toBe(201);
      expect(asAdmin.body).toMatchObject(product);
    });

    it("places an order with a token, then lists it among the caller's orders only", async () => {
      const placed = await call('POST', '/v1/orders', {
        headers: { ...signedIn('alice'), 'Idempotency-Key': randomUUID() },
        body: {
          items: [
            { productId: espresso!.productId, quantity: 2 },
            { productId: kettle!.productId, quantity: 1 },
          ],
        },
      });

      expect(placed.status).toBe(201);
      const order = placed.body as { orderId: string; userId: string; status: string; totalCents: number };
      expect(order).toMatchObject({
        userId: localSub('alice'),
        status: 'PLACED',
        totalCents: 2 * espresso!.priceCents + kettle!.priceCents,
      });
      expect(placed.headers.get('location')).toBe(`/v1/orders/${order.orderId}`);

      const stock = await call('GET', `/v1/products/${espresso!.productId}`, { headers: signedIn('alice') });
      expect(stock.body).toMatchObject({ stock: espresso!.stock - 2 });

      const mine = await call('GET', '/v1/orders', { headers: signedIn('alice') });
      expect(mine.status).toBe(200);
      expect(mine.body).toEqual({
        items: [expect.objectContaining({ orderId: order.orderId })],
        nextCursor: null,
      });

      const one = await call('GET', `/v1/orders/${order.orderId}`, { headers: signedIn('alice') });
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ orderId: order.orderId });

      const someoneElses = await call('GET', '/v1/orders', { headers: signedIn('bob') });
      expect(someoneElses.status).toBe(200);
      expect(someoneElses.body).toEqual({ items: [], nextCursor: null });
    });

    it('routes a {proxy+} path of several segments (cancel an order)', async () => {
      const placed = await call('POST', '/v1/orders', {
        headers: { ...signedIn('dave'), 'Idempotency-Key': randomUUID() },
        body: { items: [{ productId: kettle!.productId, quantity: 1 }] },
      });
      const { orderId } = placed.body as { orderId: string };

      const cancelled = await call('POST', `/v1/orders/${orderId}/cancel`, { headers: signedIn('dave') });

      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ orderId, status: 'CANCELLED' });
    });

    it('logs one line per request', () => {
      expect(requestLog).toContainEqual(expect.stringMatching(/^GET \/health -> 200 \(\d+ ms\)$/));
    });
  });
});
