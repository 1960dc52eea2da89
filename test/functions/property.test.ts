import { BatchWriteCommand, type BatchWriteCommandInput, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import type { Order } from '../../functions/shared/orders/model';
import type { Product } from '../../functions/shared/products/model';
import { apiEvent, lambdaContext, type TestCaller } from '../support/events';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';
import { invoke, type ProxyHandler } from './support/http';
import { captureOutput, type OutputCapture } from './support/output';

/**
 * Property-based tests of the three API handlers, through their real entry points, against
 * DynamoDB Local. For every API Gateway resource that reaches them, fast-check sends random
 * methods, paths, callers, headers, query strings and bodies (malformed JSON, wrong types,
 * unicode, long strings, deep nesting, bodies far over the 64 KiB limit), and every answer must:
 *   - come back (the handler never throws), with a status below 500;
 *   - carry Content-Type application/json and a JSON body (an empty body for 204 only);
 *   - on status >= 400, have exactly the body { error: string, message: string };
 *   - on status >= 400, leave the table exactly as it was (a full Scan after every request).
 * Half the requests are plausible (the route's own methods, known ids, a real caller) so the
 * properties also reach the services and DynamoDB, not just the router.
 */

/** Per property; override with PROPERTY_RUNS=... for a longer local soak. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);

const USERS = '/v1/users';
const USER = '/v1/users/{userId}';
const PRODUCTS = '/v1/products';
const PRODUCTS_PROXY = '/v1/products/{proxy+}';
const ORDERS = '/v1/orders';
const ORDERS_PROXY = '/v1/orders/{proxy+}';
const ALLOWED_ORIGIN = 'https://app.example.com';

const admin: TestCaller = { sub: 'prop-admin', email: 'admin@example.com', groups: ['admins'] };
const shopper: TestCaller = { sub: 'prop-shopper', email: 'shopper@example.com', groups: [] };
const newcomer: TestCaller = { sub: 'prop-newcomer', email: 'newcomer@example.com', groups: ['staff'] };
const noEmail: TestCaller = { sub: 'prop-no-email', email: '', groups: [] };
const knownCallers = [admin, shopper, newcomer, noEmail];

let table: TestTable;
let output: OutputCapture;
let handlers: Record<string, ProxyHandler>;

/** Ids of what `seed()` created, so plausible requests hit existing items. */
interface Fixtures {
  readonly productIds: string[];
  readonly orderIds: string[];
}

// ---------------------------------------------------------------------------------------------
// Statistics for the closing note: every generated case is counted, per resource and status.
// ---------------------------------------------------------------------------------------------
const stats = new Map<string, Map<number, number>>();
let totalCases = 0;

function record(resource: string, status: number): void {
  totalCases++;
  const byStatus = stats.get(resource) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  stats.set(resource, byStatus);
}

beforeAll(async () => {
  table = await createTestTable('property');
  useTableFromHandlers(table);
  delete process.env.ORDER_EVENTS_QUEUE_URL; // events are logged, not sent
  process.env.POWERTOOLS_SERVICE_NAME = 'property';
  process.env.LOG_LEVEL = 'INFO';
  process.env.CORS_ALLOWED_ORIGINS = ALLOWED_ORIGIN;
  output = captureOutput();
  // Imported only now: the handlers read the environment and create their clients at module scope.
  const users = (await import('../../functions/users/index')).handler;
  const products = (await import('../../functions/products/index')).handler;
  const orders = (await import('../../functions/orders/index')).handler;
  handlers = {
    [USERS]: users,
    [USER]: users,
    [PRODUCTS]: products,
    [PRODUCTS_PROXY]: products,
    [ORDERS]: orders,
    [ORDERS_PROXY]: orders,
  };
});

afterAll(async () => {
  output.restore();
  await table.destroy();
  const breakdown = [...stats.entries()]
    .map(([resource, byStatus]) => {
      const statuses = [...byStatus.entries()]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}×${count}`);
      return `  ${resource}: ${statuses.join(' ')}`;
    })
    .join('\n');
  console.log(`property-test cases run: ${totalCases}\n${breakdown}`);
});

/**
 * Empties the table between properties. DynamoDB Local's Scan costs grow with the item count, and
 * every request is followed by one, so each property starts from a small table.
 */
type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

async function clearTable(): Promise<void> {
  const keys = (await scanItems()).map((item) => ({ PK: item.PK, SK: item.SK }));
  for (let start = 0; start < keys.length; start += 25) {
    let requests: WriteRequest[] = keys.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await table.client.send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: requests } })
      );
      requests = UnprocessedItems?.[table.tableName] ?? [];
    }
  }
}

/** Fresh fixtures for each property, created through the handlers as a client would. */
async function seed(): Promise<Fixtures> {
  const productIds: string[] = [];
  for (const stock of [1_000_000, 4]) {
    const created = await invoke<Product>(handlers[PRODUCTS]!, {
      method: 'POST',
      resource: PRODUCTS,
      caller: admin,
      body: { name: 'Fixture', priceCents: 250, stock },
    });
    expect(created.status).toBe(201);
    productIds.push(created.body.productId);
  }
  // Profiles may have been deleted by an earlier property: (re)register them (409 if they exist).
  for (const caller of [admin, shopper, newcomer]) {
    const registered = await invoke(handlers[USERS]!, {
      method: 'POST',
      resource: USERS,
      caller,
      body: { givenName: 'Known', familyName: 'Caller' },
    });
    expect([201, 409]).toContain(registered.status);
  }
  // Orders of every known caller, so an order id and its owner meet often enough.
  const orderIds: string[] = [];
  for (const caller of [...knownCallers, shopper]) {
    const placed = await invoke<Order>(handlers[ORDERS]!, {
      method: 'POST',
      resource: ORDERS,
      caller,
      body: { items: [{ productId: productIds[0]!, quantity: 1 }] },
      headers: { 'Idempotency-Key': `fixture-${caller.sub}` },
    });
    expect(placed.status).toBe(201);
    orderIds.push(placed.body.orderId);
  }
  return { productIds, orderIds };
}

// ---------------------------------------------------------------------------------------------
// The table snapshot: every item, canonically serialised, keyed by PK and SK.
// ---------------------------------------------------------------------------------------------
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Every item of the table (a full, paginated, consistent Scan). */
async function scanItems(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({ TableName: table.tableName, ConsistentRead: true, ExclusiveStartKey: startKey })
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function snapshot(): Promise<Map<string, string>> {
  const items = await scanItems();
  return new Map(items.map((item) => [`${String(item.PK)} | ${String(item.SK)}`, canonical(item)]));
}

function differences(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].flatMap((key) => {
    const was = before.get(key);
    const is = after.get(key);
    if (was === is) return [];
    if (was === undefined) return [`added ${key}`];
    if (is === undefined) return [`deleted ${key}`];
    return [`changed ${key}: ${was.slice(0, 300)} -> ${is.slice(0, 300)}`];
  });
}

// ---------------------------------------------------------------------------------------------
// Generators. A request is generated as a compact spec and only materialised into an API
// Gateway event when it runs, so a failing counterexample prints as a few lines, not as 1 MB.
// ---------------------------------------------------------------------------------------------

type CallerSpec = { kind: 'none' } | { kind: 'known'; index: number } | { kind: 'raw'; sub: string };

/** Text built by repetition: big bodies, long strings and deep nesting stay small in the spec. */
interface Repeated {
  readonly kind: 'repeat';
  readonly unit: string;
  readonly times: number;
  /** Between the opening and the closing repetitions (the innermost value when nesting). */
  readonly inner: string;
  readonly closeUnit: string;
}

type BodySpec =
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'json'; value: unknown }
  | Repeated
  /** A body whose JSON is valid and exactly `bytes` long (padded inside a string field). */
  | { kind: 'sized'; template: Record<string, unknown>; bytes: number };

interface RequestSpec {
  readonly method: string;
  /** Path parameter value (or null: none sent); only for resources with one. */
  readonly param: string | null;
  /** `event.path` when it should not match the resource (custom-domain base paths, garbage). */
  readonly path?: string;
  readonly caller: CallerSpec;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string> | null;
  readonly body: BodySpec;
  /** Claims the body is base64; `encodeBody` says whether it really is. */
  readonly base64: boolean;
  readonly encodeBody: boolean;
}

function materialiseText(body: BodySpec): string | undefined {
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'text':
      return body.text;
    case 'json':
      return JSON.stringify(body.value);
    case 'repeat':
      return `${body.unit.repeat(body.times)}${body.inner}${body.closeUnit.repeat(body.times)}`;
    case 'sized': {
      const bare = JSON.stringify({ ...body.template, pad: '' });
      const pad = 'p'.repeat(Math.max(0, body.bytes - Buffer.byteLength(bare)));
      return JSON.stringify({ ...body.template, pad });
    }
  }
}

/** A path parameter that stands for the caller's own id (`/v1/users/{userId}` of oneself). */
const SELF = '<self>';

function callerOf(spec: CallerSpec): TestCaller | null {
  if (spec.kind === 'none') return null;
  if (spec.kind === 'known') return knownCallers[spec.index % knownCallers.length]!;
  return { sub: spec.sub, email: `${spec.sub}@example.com`, groups: [] };
}

function buildEvent(resource: string, spec: RequestSpec): APIGatewayProxyEvent {
  const paramName = resource.includes('{userId}') ? 'userId' : resource.includes('{proxy+}') ? 'proxy' : null;
  const text = materialiseText(spec.body);
  const event = apiEvent({
    method: spec.method,
    resource,
    ...(spec.path === undefined ? {} : { path: spec.path }),
    pathParameters:
      paramName && spec.param !== null
        ? { [paramName]: spec.param === SELF ? (callerOf(spec.caller)?.sub ?? 'anonymous') : spec.param }
        : undefined,
    caller: callerOf(spec.caller),
    query: spec.query ?? undefined,
    body: text,
  });
  event.headers = { ...spec.headers }; // replaces apiEvent's default content-type: ours is random
  if (spec.base64) {
    event.isBase64Encoded = true;
    if (spec.encodeBody && text !== undefined) event.body = Buffer.from(text, 'utf8').toString('base64');
  }
  return event;
}

const loneSurrogates = fc.constantFrom('\uD800', 'a\uDFFFb', '\uDBFF\uDBFF', 'x\uD83D');
const oddStrings = fc.constantFrom(
  '',
  ' ',
  '\t\n',
  '#',
  'USER#prop-shopper',
  'PRODUCT#x',
  '..',
  '%2F',
  'a/b',
  '\u0000',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'ü',
  '😀',
  'ｆｕｌｌ',
  '\u202Eevil',
  '<script>alert(1)</script>',
  "' OR 1=1 --"
);
const unicodeString = fc.string({ unit: 'binary', maxLength: 40 });
const anyString = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
  { arbitrary: unicodeString, weight: 3 },
  { arbitrary: oddStrings, weight: 2 },
  { arbitrary: loneSurrogates, weight: 1 }
);
/**
 * Long strings: 2 to 8 KB in UTF-8, past DynamoDB's key size limits (2048 bytes for a partition
 * key, 1024 for a sort key), so one that reaches a key unchecked is a ValidationException and a 500.
 */
const longString = fc
  .tuple(fc.constantFrom('x', 'ab', 'é', '😀', '#', '\u0000'), fc.integer({ min: 2_049, max: 8_000 }))
  .map(([unit, bytes]) => unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit))));
const wellFormedId = fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/);
const anyId = fc.oneof(
  { arbitrary: wellFormedId, weight: 3 },
  { arbitrary: anyString, weight: 3 },
  { arbitrary: fc.constant('a'.repeat(129)), weight: 1 },
  { arbitrary: longString, weight: 2 }
);

/** Any JSON value, including wrong types for every field. */
const anyJson = fc.jsonValue({ maxDepth: 3 });

function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: valid, weight: 4 },
    { arbitrary: anyJson, weight: 1 },
    { arbitrary: anyString, weight: 1 },
    { arbitrary: longString, weight: 1 },
    { arbitrary: fc.constantFrom(null, true, -1, 1.5, 1e308, -0, [], {}), weight: 1 }
  );
}

/** Objects that look like the API's bodies, mostly valid, with wrong types and extra keys mixed in. */
function shapedBody(productIds: readonly string[]): fc.Arbitrary<unknown> {
  const productId = fc.oneof(
    { arbitrary: fc.constantFrom(...productIds), weight: 4 },
    { arbitrary: anyId, weight: 1 }
  );
  const line = fc.record(
    {
      productId: field(productId),
      quantity: field(fc.integer({ min: -2, max: 1_002 })),
      extra: anyJson,
    },
    { requiredKeys: ['productId', 'quantity'] }
  );
  const order = fc.record(
    { items: field(fc.array(line, { maxLength: 27 })), note: anyJson },
    { requiredKeys: ['items'] }
  );
  const profile = fc.record(
    {
      givenName: field(fc.oneof(fc.string({ minLength: 1, maxLength: 102 }), unicodeString, loneSurrogates)),
      familyName: field(fc.string({ minLength: 1, maxLength: 102 })),
      phoneNumber: field(fc.oneof(fc.stringMatching(/^\+[1-9]\d{6,14}$/), fc.string({ maxLength: 20 }))),
      email: anyString,
    },
    { requiredKeys: ['givenName', 'familyName'] }
  );
  const product = fc.record(
    {
      name: field(fc.oneof(fc.string({ minLength: 1, maxLength: 202 }), unicodeString, loneSurrogates)),
      description: field(fc.oneof(fc.string({ maxLength: 50 }), fc.constant('d'.repeat(2_001)))),
      priceCents: field(fc.integer({ min: -1, max: 100_000_001 })),
      stock: field(fc.integer({ min: -1, max: 1_000_001 })),
      productId: anyString,
    },
    { requiredKeys: ['name', 'priceCents', 'stock'] }
  );
  return fc.oneof(order, profile, product);
}

function bodies(productIds: readonly string[]): fc.Arbitrary<BodySpec> {
  const validJson = fc.oneof(shapedBody(productIds), anyJson);
  return fc.oneof(
    { arbitrary: fc.constant<BodySpec>({ kind: 'none' }), weight: 2 },
    { arbitrary: validJson.map((value): BodySpec => ({ kind: 'json', value })), weight: 8 },
    // Malformed JSON: random text, truncated JSON, JSON with trailing garbage.
    { arbitrary: anyString.map((text): BodySpec => ({ kind: 'text', text })), weight: 2 },
    {
      arbitrary: fc.tuple(validJson, fc.nat()).map(([value, cut]): BodySpec => {
        const text = JSON.stringify(value) ?? '';
        return { kind: 'text', text: text.slice(0, cut % Math.max(1, text.length)) };
      }),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(validJson, fc.constantFrom('}', ',', ' x', '\u0000', ']]'))
        .map(([value, junk]): BodySpec => ({ kind: 'text', text: `${JSON.stringify(value)}${junk}` })),
      weight: 1,
    },
    // Deep nesting: arrays or objects thousands of levels deep, within and beyond 64 KiB.
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"items":[', ']}']),
          fc.integer({ min: 100, max: 40_000 })
        )
        .map(([[open, close], depth]): BodySpec => ({
          kind: 'repeat',
          unit: open,
          times: depth,
          inner: '1',
          closeUnit: close,
        })),
      weight: 1,
    },
    // ~1 MB bodies: garbage, or a well-formed order or product padded far beyond the limit.
    {
      arbitrary: fc
        .tuple(fc.constantFrom('a', '{', '😀', '\\u0000', ' '), fc.integer({ min: 900_000, max: 1_100_000 }))
        .map(([unit, bytes]): BodySpec => ({
          kind: 'repeat',
          unit,
          times: Math.ceil(bytes / Buffer.byteLength(unit)),
          inner: '',
          closeUnit: '',
        })),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom<Record<string, unknown>>(
            { items: [{ productId: productIds[0], quantity: 1 }] },
            { name: 'Big', priceCents: 1, stock: 1 },
            { givenName: 'Big', familyName: 'Body' }
          ),
          fc.oneof(
            fc.integer({ min: 900_000, max: 1_100_000 }),
            // Around the 64 KiB limit, where an off-by-one would show.
            fc.integer({ min: 64 * 1024 - 4, max: 64 * 1024 + 4 })
          )
        )
        .map(([template, bytes]): BodySpec => ({ kind: 'sized', template, bytes })),
      weight: 1,
    }
  );
}

/** Header values include empty, huge and non-ASCII ones; names vary in case. */
function headersArb(): fc.Arbitrary<Record<string, string>> {
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
    ';;;'
  );
  const idempotencyKey = fc.oneof(
    { arbitrary: fc.constantFrom('key-1', 'key-2', 'key-3'), weight: 4 },
    { arbitrary: fc.uuid(), weight: 2 },
    { arbitrary: anyString, weight: 2 },
    { arbitrary: fc.constantFrom('k'.repeat(255), 'k'.repeat(256), 'k'.repeat(10_000)), weight: 1 }
  );
  return fc
    .record(
      {
        contentTypeName: fc.constantFrom('content-type', 'Content-Type', 'CONTENT-TYPE'),
        contentType,
        keyName: fc.constantFrom('Idempotency-Key', 'idempotency-key', 'IDEMPOTENCY-KEY'),
        idempotencyKey,
        origin: fc.constantFrom(ALLOWED_ORIGIN, 'https://evil.example.com', 'null', ''),
        others: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(anyString, longString), {
          maxKeys: 3,
        }),
      },
      { requiredKeys: [] }
    )
    .map(({ contentTypeName, contentType: type, keyName, idempotencyKey: key, origin, others }) => ({
      ...others,
      ...(type === undefined ? {} : { [contentTypeName ?? 'content-type']: type }),
      ...(key === undefined ? {} : { [keyName ?? 'Idempotency-Key']: key }),
      ...(origin === undefined ? {} : { Origin: origin }),
    }));
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Cursor garbage, plus cursors shaped like ours that point into other partitions or nowhere. */
function cursors(): fc.Arbitrary<string> {
  const keyValue = fc.oneof(wellFormedId, anyString, longString);
  return fc.oneof(
    anyString,
    longString,
    fc.base64String({ maxLength: 200 }),
    fc.constantFrom('x'.repeat(2_049), '=', 'eyJ9', b64(null), b64([]), b64('s'), b64({})),
    anyJson.map(b64),
    keyValue.map((id) => b64({ PK: `USER#${id}`, SK: 'PROFILE', GSI1PK: 'USERS', GSI1SK: `USER#${id}` })),
    keyValue.map((id) =>
      b64({ PK: `PRODUCT#${id}`, SK: 'PRODUCT', GSI1PK: 'PRODUCTS', GSI1SK: `PRODUCT#${id}` })
    ),
    fc
      .tuple(fc.constantFrom(...knownCallers.map((c) => c.sub), 'someone-else'), keyValue, keyValue)
      .map(([user, created, id]) =>
        b64({ PK: `ORDER#${id}`, SK: 'ORDER', GSI1PK: `USER#${user}`, GSI1SK: `ORDER#${created}#${id}` })
      ),
    fc.dictionary(fc.constantFrom('PK', 'SK', 'GSI1PK', 'GSI1SK', 'other'), anyJson).map(b64)
  );
}

function queries(): fc.Arbitrary<Record<string, string> | null> {
  const limit = fc.oneof(
    fc.integer({ min: -5, max: 205 }).map(String),
    fc.constantFrom('', '1e2', '10.5', ' 5', '0x10', '５', 'NaN', 'Infinity', '007', '1000', '-0'),
    anyString
  );
  return fc.option(
    fc
      .record(
        {
          limit,
          cursor: cursors(),
          others: fc.dictionary(fc.string({ maxLength: 10 }), anyString, { maxKeys: 2 }),
        },
        { requiredKeys: [] }
      )
      .map(({ limit: l, cursor, others }) => ({
        ...others,
        ...(l === undefined ? {} : { limit: l }),
        ...(cursor === undefined ? {} : { cursor }),
      })),
    { nil: null }
  );
}

const chaosMethod = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'get',
  'Post',
  'FOO',
  ''
);

const chaosCaller: fc.Arbitrary<CallerSpec> = fc.oneof(
  { arbitrary: fc.constant<CallerSpec>({ kind: 'none' }), weight: 1 },
  { arbitrary: fc.nat().map((index): CallerSpec => ({ kind: 'known', index })), weight: 4 },
  { arbitrary: fc.oneof(anyId, wellFormedId).map((sub): CallerSpec => ({ kind: 'raw', sub })), weight: 1 }
);

const plausibleCaller: fc.Arbitrary<CallerSpec> = fc.oneof(
  { arbitrary: fc.nat().map((index): CallerSpec => ({ kind: 'known', index })), weight: 3 },
  // Callers never seen before, so registrations and first orders keep succeeding.
  { arbitrary: wellFormedId.map((sub): CallerSpec => ({ kind: 'raw', sub })), weight: 1 },
  // And callers whose id no Cognito would issue (huge, unicode, `#`), which must end in a 401.
  { arbitrary: anyId.map((sub): CallerSpec => ({ kind: 'raw', sub })), weight: 1 }
);

/** Valid bodies, as a client that follows the API would send them. */
function validBodies(
  f: Fixtures
): Record<'profile' | 'product' | 'order', fc.Arbitrary<Record<string, unknown>>> {
  const text = (max: number) =>
    fc
      .oneof(
        fc.string({ minLength: 1, maxLength: max }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: max })
      )
      .filter((value) => value.trim() !== '' && value.trim().length <= max);
  return {
    profile: fc.record(
      { givenName: text(100), familyName: text(100), phoneNumber: fc.stringMatching(/^\+[1-9]\d{6,14}$/) },
      { requiredKeys: ['givenName', 'familyName'] }
    ),
    product: fc.record(
      {
        name: text(200),
        description: fc.string({ maxLength: 100 }),
        priceCents: fc.integer({ min: 0, max: 100_000_000 }),
        stock: fc.integer({ min: 0, max: 1_000_000 }),
      },
      { requiredKeys: ['name', 'priceCents', 'stock'] }
    ),
    order: fc
      .uniqueArray(fc.constantFrom(...f.productIds), { minLength: 1, maxLength: f.productIds.length })
      .chain((ids) =>
        fc
          .array(fc.integer({ min: 1, max: 3 }), { minLength: ids.length, maxLength: ids.length })
          .map((quantities) => ({
            items: ids.map((productId, i) => ({ productId, quantity: quantities[i] })),
          }))
      ),
  };
}

/** A valid body with one field replaced by any JSON, removed, or joined by an unknown field. */
function mutated(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(valid, fc.nat(), fc.constantFrom('replace', 'delete', 'add'), anyJson)
    .map(([body, pick, how, value]) => {
      const keys = Object.keys(body);
      const key = keys[pick % keys.length] ?? 'items';
      if (how === 'delete') {
        const rest = { ...body };
        delete rest[key];
        return rest;
      }
      return how === 'add' ? { ...body, [`unknown${pick % 3}`]: value } : { ...body, [key]: value };
    });
}

/** A valid limit, and now and then a forged or garbled cursor. */
const plausibleQuery: fc.Arbitrary<Record<string, string> | null> = fc.option(
  fc.record(
    {
      limit: fc.integer({ min: 1, max: 100 }).map(String),
      cursor: fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: cursors(), weight: 1 }),
    },
    { requiredKeys: [] }
  ),
  { nil: null }
);

const plausibleHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      key: fc.oneof(fc.constantFrom('key-1', 'key-2', 'key-3'), fc.uuid()),
      origin: fc.constantFrom(ALLOWED_ORIGIN, 'https://evil.example.com'),
    },
    { requiredKeys: [] }
  )
  .map(({ key, origin }) => ({
    'content-type': 'application/json',
    ...(key === undefined ? {} : { 'Idempotency-Key': key }),
    ...(origin === undefined ? {} : { Origin: origin }),
  }));

type Action = Pick<RequestSpec, 'method' | 'param' | 'body'>;

/** Requests a client of the API would send on this resource: its methods, known ids, valid bodies. */
function plausibleActions(resource: string, f: Fixtures): fc.Arbitrary<Action> {
  const valid = validBodies(f);
  const body = (shape: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<BodySpec> =>
    fc
      .oneof({ arbitrary: shape, weight: 3 }, { arbitrary: mutated(shape), weight: 1 })
      .map((value): BodySpec => ({ kind: 'json', value }));
  const none = fc.constant<BodySpec>({ kind: 'none' });
  const action = (method: string, param: fc.Arbitrary<string | null>, payload: fc.Arbitrary<BodySpec>) =>
    fc.record({ method: fc.constant(method), param, body: payload });
  const noParam = fc.constant(null);
  // Mostly ids that exist, then unknown ones, then ids no client should send (huge, unicode, `#`).
  const idOf = (known: fc.Arbitrary<string>) =>
    fc.oneof(
      { arbitrary: known, weight: 4 },
      { arbitrary: wellFormedId, weight: 1 },
      { arbitrary: anyId, weight: 2 }
    );
  const userId = fc.oneof(
    { arbitrary: fc.constant(SELF), weight: 2 },
    { arbitrary: idOf(fc.constantFrom(...knownCallers.map((c) => c.sub))), weight: 1 }
  );
  const productId = idOf(fc.constantFrom(...f.productIds));
  const orderId = idOf(fc.constantFrom(...f.orderIds));
  switch (resource) {
    case USERS:
      return fc.oneof(action('GET', noParam, none), action('POST', noParam, body(valid.profile)));
    case USER:
      return fc.oneof(
        { arbitrary: action('GET', userId, none), weight: 3 },
        { arbitrary: action('PUT', userId, body(valid.profile)), weight: 3 },
        { arbitrary: action('DELETE', userId, none), weight: 1 }
      );
    case PRODUCTS:
      return fc.oneof(action('GET', noParam, none), action('POST', noParam, body(valid.product)));
    case PRODUCTS_PROXY:
      return fc.oneof(
        { arbitrary: action('GET', productId, none), weight: 2 },
        { arbitrary: action('PUT', productId, body(valid.product)), weight: 2 },
        { arbitrary: action('DELETE', productId, none), weight: 1 }
      );
    case ORDERS:
      return fc.oneof(action('GET', noParam, none), action('POST', noParam, body(valid.order)));
    default:
      return fc.oneof(
        action('GET', orderId, none),
        action(
          'POST',
          orderId.map((id) => `${id}/cancel`),
          none
        )
      );
  }
}

function chaosParam(resource: string, f: Fixtures): fc.Arbitrary<string | null> {
  if (resource === USERS || resource === PRODUCTS || resource === ORDERS) {
    return fc.option(anyString, { nil: null }); // a stray path parameter the resource does not declare
  }
  const segments = fc.array(fc.oneof(anyId, fc.constantFrom('cancel', '', ...f.orderIds, ...f.productIds)), {
    minLength: 0,
    maxLength: 4,
  });
  return fc.oneof(
    fc.constant(null),
    anyId,
    segments.map((parts) => parts.join('/'))
  );
}

function requests(resource: string, f: Fixtures): fc.Arbitrary<RequestSpec> {
  const plausible = fc
    .record({
      action: plausibleActions(resource, f),
      caller: plausibleCaller,
      headers: plausibleHeaders,
      query: plausibleQuery,
    })
    .map(({ action, ...rest }): RequestSpec => ({ ...action, ...rest, base64: false, encodeBody: false }));
  const chaos = fc.record(
    {
      method: chaosMethod,
      path: fc.oneof(
        anyString,
        fc.constantFrom('/', '/prod/v1/orders', '/v1/users/../orders', '//v1//users')
      ),
      param: chaosParam(resource, f),
      caller: chaosCaller,
      headers: headersArb(),
      query: queries(),
      body: bodies(f.productIds),
      base64: fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))),
      encodeBody: fc.boolean(),
    },
    { requiredKeys: ['method', 'param', 'caller', 'headers', 'query', 'body', 'base64', 'encodeBody'] }
  );
  return fc.oneof(plausible, chaos);
}

// ---------------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------------

function describeSpec(resource: string, spec: RequestSpec): string {
  const body = materialiseText(spec.body);
  const shown = body === undefined ? 'none' : `${JSON.stringify(body.slice(0, 200))} (${body.length} chars)`;
  const caller = callerOf(spec.caller);
  const short = (value: unknown): string => (JSON.stringify(value) ?? 'undefined').slice(0, 300);
  return (
    `${spec.method} ${resource} param=${short(spec.param)} caller=${short(caller)} ` +
    `query=${short(spec.query)} headers=${short(spec.headers)} base64=${spec.base64} body=${shown}`
  );
}

/** The response contract of the API: checked on every answer, whatever was sent. */
function assertWellFormed(result: APIGatewayProxyResult, event: APIGatewayProxyEvent): void {
  expect(Number.isInteger(result.statusCode)).toBe(true);
  expect(result.statusCode).toBeGreaterThanOrEqual(200);
  expect(result.statusCode).toBeLessThan(500);
  expect(result.headers?.['Content-Type']).toBe('application/json');
  if (result.statusCode === 204) {
    expect(result.body).toBe('');
  } else {
    let parsed: unknown;
    expect(() => {
      parsed = JSON.parse(result.body) as unknown;
    }).not.toThrow();
    if (result.statusCode >= 400) {
      expect(parsed).toEqual({ error: expect.any(String), message: expect.any(String) });
      expect(Object.keys(parsed as object).sort()).toEqual(['error', 'message']);
    }
  }
  if (result.statusCode === 405) expect(result.headers?.Allow).toEqual(expect.any(String));
  // The first header named Origin in any case, as withCors reads it.
  const origin = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  expect(result.headers?.['Access-Control-Allow-Origin']).toBe(
    origin === ALLOWED_ORIGIN ? ALLOWED_ORIGIN : undefined
  );
}

async function runProperty(resource: string): Promise<void> {
  await clearTable();
  const fixtures = await seed();
  output.clear();
  const handler = handlers[resource]!;
  let before = await snapshot();
  const statuses = new Set<number>();

  await fc.assert(
    fc.asyncProperty(requests(resource, fixtures), async (spec) => {
      const event = buildEvent(resource, spec);
      let result: APIGatewayProxyResult;
      try {
        result = await handler(event, lambdaContext());
      } catch (error) {
        throw new Error(`handler threw for ${describeSpec(resource, spec)}: ${String(error)}`);
      }
      record(resource, result.statusCode);
      statuses.add(result.statusCode);
      const after = await snapshot();
      try {
        assertWellFormed(result, event);
        if (result.statusCode >= 400) expect(differences(before, after)).toEqual([]);
      } catch (error) {
        const answer = `${result.statusCode} ${result.body.slice(0, 500)}`;
        throw new Error(`${describeSpec(resource, spec)}\n→ ${answer}\n${String(error)}`);
      } finally {
        before = after;
        output.clear(); // the logs of thousands of requests need not pile up in memory
      }
    }),
    { numRuns: RUNS, endOnFailure: true }
  );

  // The generators must reach past the router: some requests succeed and some are refused.
  expect([...statuses].some((status) => status < 300)).toBe(true);
  expect([...statuses].some((status) => status >= 400)).toBe(true);
}

describe.each([USERS, USER, PRODUCTS, PRODUCTS_PROXY, ORDERS, ORDERS_PROXY])('%s', (resource) => {
  it(`answers ${RUNS} random requests with status < 500, a JSON body and no write when refused`, async () => {
    await runProperty(resource);
  }, 60_000);
});
