import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { User } from '../../functions/shared/users/model';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import { apiEvent, lambdaContext, type TestCaller } from '../support/events';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';
import { invoke, type ErrorBody, type ProxyHandler, type Response } from './support/http';
import { captureOutput, metricRecords, type OutputCapture } from './support/output';

const USERS = '/v1/users';
const USER = '/v1/users/{userId}';
const admin: TestCaller = { sub: 'admin-1', email: 'admin@example.com', groups: ['staff', 'admins'] };

interface UserPage {
  items: User[];
  nextCursor: string | null;
}

let table: TestTable;
let output: OutputCapture;
let users: ProxyHandler;

beforeAll(async () => {
  table = await createTestTable('users');
  useTableFromHandlers(table);
  process.env.POWERTOOLS_SERVICE_NAME = 'users';
  process.env.LOG_LEVEL = 'INFO';
  output = captureOutput();
  // Imported only now: the handler reads the environment and creates its clients at module scope.
  ({ handler: users } = await import('../../functions/users/index'));
});

afterAll(async () => {
  output.restore();
  await table.destroy();
});

beforeEach(() => output.clear());

function newUser(): TestCaller {
  return { sub: `user-${randomUUID()}`, email: `${randomUUID()}@example.com`, groups: [] };
}

const profile = { givenName: 'Ada', familyName: 'Lovelace' };

function register<T = User>(caller: TestCaller | null, body: unknown = profile): Promise<Response<T>> {
  return invoke<T>(users, { method: 'POST', resource: USERS, caller, body });
}

function onUser<T = User>(
  method: string,
  caller: TestCaller,
  userId: string,
  body?: unknown
): Promise<Response<T>> {
  return invoke<T>(users, { method, resource: USER, pathParameters: { userId }, caller, body });
}

async function storedProfile(userId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: { [TABLE_SCHEMA.partitionKey]: `USER#${userId}`, [TABLE_SCHEMA.sortKey]: 'PROFILE' },
      ConsistentRead: true,
    })
  );
  return Item;
}

describe('POST /v1/users', () => {
  it('creates the caller’s profile with the email from the token and counts the registration', async () => {
    const alice = newUser();

    const response = await register(alice, { ...profile, phoneNumber: '+14155550123' });

    expect(response.status).toBe(201);
    expect(response.headers['Content-Type']).toBe('application/json');
    expect(response.headers.Location).toBe(`/v1/users/${alice.sub}`);
    expect(response.body).toEqual({
      userId: alice.sub,
      email: alice.email,
      givenName: 'Ada',
      familyName: 'Lovelace',
      phoneNumber: '+14155550123',
      createdAt: expect.any(String),
      updatedAt: response.body.createdAt,
    });
    expect(await storedProfile(alice.sub)).toMatchObject({ email: alice.email, givenName: 'Ada' });
    const metrics = metricRecords(output, 'NewRegistrations');
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({
      NewRegistrations: 1,
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'MyApp/Users', Metrics: [{ Name: 'NewRegistrations', Unit: 'Count' }] },
        ],
      },
    });
  });

  it('answers 409 when the profile already exists, keeping the original and counting nothing', async () => {
    const alice = newUser();
    await register(alice);
    output.clear();

    const again = await register<ErrorBody>(alice, { givenName: 'Someone', familyName: 'Else' });

    expect(again.status).toBe(409);
    expect(again.body.error).toBe('user_exists');
    expect(await storedProfile(alice.sub)).toMatchObject({ givenName: 'Ada' });
    expect(metricRecords(output, 'NewRegistrations')).toHaveLength(0);
  });

  it.each([
    [{ familyName: 'Lovelace' }, 'givenName'],
    [{ givenName: '   ', familyName: 'Lovelace' }, 'givenName'],
    [{ givenName: 'Ada', familyName: 'x'.repeat(101) }, 'familyName'],
    [{ ...profile, phoneNumber: '555-0123' }, 'phoneNumber'],
    // The email comes from the token; a client cannot set it.
    [{ ...profile, email: 'spoofed@example.com' }, 'email'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await register<ErrorBody>(newUser(), body);

    expect(response.status).toBe(400);
    expect(response.body.error).toBe('validation_error');
    expect(response.body.message).toContain(`${field}:`);
  });

  // The authorizer passes the e-mail only when `email_verified` is true (test/functions/authorizer.test.ts),
  // so an unverified or missing address arrives as ''.
  it('answers 403 and stores nothing when the token carries no verified e-mail', async () => {
    const caller = { sub: `user-${randomUUID()}`, email: '' };

    const response = await register<ErrorBody>(caller);

    expect([response.status, response.body.error]).toEqual([403, 'forbidden']);
    expect(response.body.message).toMatch(/no verified e-mail address/);
    expect(await storedProfile(caller.sub)).toBeUndefined();
    expect(metricRecords(output, 'NewRegistrations')).toEqual([]);
  });

  it('refuses an unverified e-mail before reading the body (403, not 400)', async () => {
    const response = await register<ErrorBody>({ sub: `user-${randomUUID()}`, email: '' }, { givenName: '' });

    expect(response.status).toBe(403);
  });

  it('answers 401 to a request whose authorizer context is null, writing nothing', async () => {
    const sub = `user-${randomUUID()}`;
    const event = apiEvent({ method: 'POST', resource: USERS, caller: { sub }, body: profile });

    const result = await users(
      { ...event, requestContext: { ...event.requestContext, authorizer: null } },
      lambdaContext()
    );

    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'unauthorized' });
    expect(await storedProfile(sub)).toBeUndefined();
  });

  it('answers 400 invalid_json, 413 and 401 before touching the table', async () => {
    const malformed = await register<ErrorBody>(newUser(), 'not json');
    const oversized = await register<ErrorBody>(newUser(), { ...profile, givenName: 'x'.repeat(70_000) });
    const anonymous = await register<ErrorBody>(null);

    expect([malformed.status, malformed.body.error]).toEqual([400, 'invalid_json']);
    expect([oversized.status, oversized.body.error]).toEqual([413, 'payload_too_large']);
    expect([anonymous.status, anonymous.body.error]).toEqual([401, 'unauthorized']);
  });

  it('answers 400 to a JSON-escaped lone surrogate, which DynamoDB would refuse, and writes nothing', async () => {
    const caller = newUser();
    const response = await register<ErrorBody>(
      caller,
      '{"givenName": "Ada\\ud800", "familyName": "Lovelace"}'
    );

    expect([response.status, response.body.error]).toEqual([400, 'invalid_json']);
    expect(response.body.message).toMatch(/invalid Unicode/);
    expect((await onUser<ErrorBody>('GET', caller, caller.sub)).status).toBe(404);
  });
});

describe('/v1/users/{userId}', () => {
  it('lets users read, replace and delete their own profile', async () => {
    const alice = newUser();
    await register(alice, { ...profile, phoneNumber: '+14155550123' });

    const read = await onUser('GET', alice, alice.sub);
    const replaced = await onUser('PUT', alice, alice.sub, { givenName: 'Augusta', familyName: 'King' });
    const deleted = await onUser<undefined>('DELETE', alice, alice.sub);
    const gone = await onUser<ErrorBody>('GET', alice, alice.sub);

    expect(read.status).toBe(200);
    expect(read.body.email).toBe(alice.email);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ givenName: 'Augusta', familyName: 'King', email: alice.email });
    // PUT replaces: the phone number that was not sent is gone.
    expect(replaced.body.phoneNumber).toBeUndefined();
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    expect(gone.status).toBe(404);
    expect(await storedProfile(alice.sub)).toBeUndefined();
  });

  it('answers 403 to other users, whether or not the profile exists, and lets admins in', async () => {
    const alice = newUser();
    const mallory = newUser();
    await register(alice);

    for (const method of ['GET', 'PUT', 'DELETE']) {
      const existing = await onUser<ErrorBody>(method, mallory, alice.sub, profile);
      const missing = await onUser<ErrorBody>(method, mallory, 'user-that-does-not-exist', profile);
      expect([method, existing.status, existing.body.error]).toEqual([method, 403, 'forbidden']);
      expect([method, missing.status]).toEqual([method, 403]);
    }
    expect(await storedProfile(alice.sub)).toMatchObject({ givenName: 'Ada' });

    const asAdmin = await onUser('PUT', admin, alice.sub, { givenName: 'Edited', familyName: 'ByAdmin' });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.givenName).toBe('Edited');
  });

  it('checks permission before validation: a stranger’s invalid body is 403, an owner’s is 400', async () => {
    const alice = newUser();
    await register(alice);

    const stranger = await onUser<ErrorBody>('PUT', newUser(), alice.sub, { givenName: '' });
    const owner = await onUser<ErrorBody>('PUT', alice, alice.sub, { givenName: '' });

    expect(stranger.status).toBe(403);
    expect(owner.status).toBe(400);
    expect(owner.body.message).toContain('givenName:');
    expect(owner.body.message).toContain('familyName:');
  });

  it.each(['PUT', 'DELETE', 'GET'])('answers 404 to an admin for %s of an unknown user', async (method) => {
    const response = await onUser<ErrorBody>(method, admin, `user-${randomUUID()}`, profile);

    expect(response.status).toBe(404);
    expect(response.body.error).toBe('not_found');
  });

  it('answers 405 with an Allow header for PATCH', async () => {
    const alice = newUser();

    const response = await onUser<ErrorBody>('PATCH', alice, alice.sub, profile);

    expect(response.status).toBe(405);
    expect(response.headers.Allow).toBe('GET, PUT, DELETE');
  });
});

describe('GET /v1/users', () => {
  it('is no admin business of a member of a group named "support,admins"', async () => {
    const lookalike: TestCaller = { sub: `user-${randomUUID()}`, groups: ['support,admins'] };

    const response = await invoke<ErrorBody>(users, { method: 'GET', resource: USERS, caller: lookalike });

    expect([response.status, response.body.error]).toEqual([403, 'forbidden']);
  });

  it('ignores groups that are not a JSON array of strings (the old comma-joined form included)', async () => {
    for (const groups of ['admins', 'support,admins', '{"0":"admins"}', '[1,{"admins":true}]', '"admins"']) {
      const event = apiEvent({ method: 'GET', resource: USERS, caller: admin });
      const authorizer = { ...event.requestContext.authorizer, groups };

      const result = await users(
        { ...event, requestContext: { ...event.requestContext, authorizer } },
        lambdaContext()
      );

      expect([groups, result.statusCode]).toEqual([groups, 403]);
    }
  });

  it('is for admins only', async () => {
    const response = await invoke(users, { method: 'GET', resource: USERS, caller: newUser() });

    expect(response.status).toBe(403);
    expect(response.body.error).toBe('forbidden');
  });

  it('pages through every profile with a cursor, each exactly once', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const user = newUser();
      await register(user);
      created.push(user.sub);
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Response<UserPage> = await invoke<UserPage>(users, {
        method: 'GET',
        resource: USERS,
        caller: admin,
        query: cursor === null ? { limit: '2' } : { limit: '2', cursor },
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((user) => user.userId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 50);

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(created));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('answers 400 for a cursor that is not one of its own', async () => {
    const productsStyle = Buffer.from(
      JSON.stringify({ PK: 'PRODUCT#p1', SK: 'PRODUCT', GSI1PK: 'PRODUCTS', GSI1SK: 'PRODUCT#p1' })
    ).toString('base64url');

    for (const cursor of [productsStyle, '%%%', 'e30']) {
      const response = await invoke(users, {
        method: 'GET',
        resource: USERS,
        caller: admin,
        query: { cursor },
      });
      expect([cursor, response.status, response.body.error]).toEqual([cursor, 400, 'invalid_cursor']);
    }
  });
});
