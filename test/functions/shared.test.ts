import { z } from 'zod';
import { stageWideResource } from '../../functions/shared/auth/authorizer';
import { requireEnv } from '../../functions/shared/env';
import { InvalidCursorError, ValidationError } from '../../functions/shared/errors';
import { errorResponse } from '../../functions/shared/http/error-mapper';
import { MethodNotAllowedError, RouteNotFoundError } from '../../functions/shared/http/errors';
import { json } from '../../functions/shared/http/response';
import { type Route, Router } from '../../functions/shared/http/router';
import type { Log } from '../../functions/shared/logger';
import { decodeCursor, encodeCursor, parsePageRequest } from '../../functions/shared/pagination';
import { formatPath, parseWith } from '../../functions/shared/validation';
import { apiEvent } from '../support/events';

const silentLog: Log = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };

describe('requireEnv', () => {
  afterEach(() => {
    delete process.env.SHARED_TEST_SETTING;
  });

  it('returns a set variable', () => {
    process.env.SHARED_TEST_SETTING = 'value';

    expect(requireEnv('SHARED_TEST_SETTING')).toBe('value');
  });

  it.each([undefined, '', '   '])('fails fast, naming the variable, when it is %j', (value) => {
    if (value !== undefined) process.env.SHARED_TEST_SETTING = value;

    expect(() => requireEnv('SHARED_TEST_SETTING')).toThrow(
      'SHARED_TEST_SETTING environment variable is not set'
    );
  });
});

describe('validation', () => {
  it('formats issue paths the way clients write them', () => {
    expect(formatPath(['items', 0, 'quantity'])).toBe('items[0].quantity');
    expect(formatPath([2, 'a', 'b'])).toBe('[2].a.b');
    expect(formatPath([])).toBe('');
  });

  it('names every offending field, unknown keys included', () => {
    const schema = z.strictObject({ a: z.number(), b: z.strictObject({ c: z.string() }) });

    expect(() => parseWith(schema, { a: 'x', b: { c: 1, d: true } })).toThrow(ValidationError);
    expect(() => parseWith(schema, { a: 'x', b: { c: 1, d: true } })).toThrow(
      /^a: .+; b\.c: .+; b\.d: unknown field$/
    );
    expect(() => parseWith(z.string(), 1, 'Idempotency-Key')).toThrow(/^Idempotency-Key: /);
  });
});

describe('pagination', () => {
  it.each([
    [undefined, 20],
    ['1', 1],
    ['100', 100],
  ])('accepts limit=%s as %d', (limit, expected) => {
    expect(parsePageRequest(limit, undefined).limit).toBe(expected);
  });

  it.each(['0', '101', '', ' 5', '5 ', '1e2', '0x10', '2.0', '-3', '007x'])('rejects limit=%j', (limit) => {
    expect(() => parsePageRequest(limit, undefined)).toThrow(ValidationError);
  });

  const ATTRIBUTES = ['PK', 'SK'];
  const key = { PK: 'ORDER#1', SK: 'ORDER' };
  const isOrder = (candidate: Record<string, string>): boolean => candidate.PK?.startsWith('ORDER#') === true;

  it('round-trips a LastEvaluatedKey through an opaque URL-safe cursor', () => {
    const cursor = encodeCursor(key);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor!, ATTRIBUTES, isOrder)).toEqual(key);
    expect(encodeCursor(undefined)).toBeNull();
  });

  it.each([
    ['not base64url', '***'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['a string', Buffer.from('"PK"').toString('base64url')],
    ['a missing key', encodeCursor({ PK: 'ORDER#1' })!],
    ['an extra key', encodeCursor({ ...key, GSI1PK: 'x' })!],
    ['a non-string key', encodeCursor({ ...key, SK: 7 })!],
    ['an empty key', encodeCursor({ ...key, SK: '' })!],
    ['a key of another listing', encodeCursor({ PK: 'USER#1', SK: 'PROFILE' })!],
    ['an oversized cursor', 'A'.repeat(3000)],
  ])('rejects %s as an invalid cursor', (_, cursor) => {
    expect(() => decodeCursor(cursor, ATTRIBUTES, isOrder)).toThrow(InvalidCursorError);
  });
});

describe('Router', () => {
  const ok =
    (name: string): Route['handler'] =>
    () =>
      Promise.resolve(json(200, { name }));
  const router = new Router([
    { method: 'GET', path: '/v1/things', handler: ok('list') },
    { method: 'POST', path: '/v1/things', handler: ok('create') },
    { method: 'GET', path: '/v1/things/{id}', handler: ok('get') },
    { method: 'DELETE', path: '/v1/things/{id}', handler: ok('delete') },
    { method: 'POST', path: '/v1/things/{id}/archive', handler: ok('archive') },
  ]);
  const proxy = (method: string, rest: string): ReturnType<typeof apiEvent> =>
    apiEvent({ method, resource: '/v1/things/{proxy+}', pathParameters: { proxy: rest } });

  it('expands a greedy proxy parameter into path segments', () => {
    const match = router.match(proxy('POST', 'abc/archive'));

    expect(match.route.path).toBe('/v1/things/{id}/archive');
    expect(match.params).toEqual({ id: 'abc' });
  });

  it('keeps a plain path parameter as one segment even when it holds a slash', () => {
    const match = router.match(
      apiEvent({ method: 'GET', resource: '/v1/things/{id}', pathParameters: { id: 'a/archive' } })
    );

    expect(match.params).toEqual({ id: 'a/archive' });
  });

  it('lists the allowed methods for a known path with the wrong method', () => {
    let thrown: unknown;
    try {
      router.match(apiEvent({ method: 'PATCH', resource: '/v1/things' }));
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(MethodNotAllowedError);
    expect((thrown as MethodNotAllowedError).allowed).toEqual(['GET', 'POST']);
  });

  it.each(['abc/unknown', 'abc/archive/more', 'abc/', ''])('does not match /v1/things/%s', (rest) => {
    expect(() => router.match(proxy('GET', rest))).toThrow(RouteNotFoundError);
  });
});

describe('errorResponse', () => {
  it('maps domain errors to their status with the domain message', () => {
    const response = errorResponse(new ValidationError('items[0].quantity: too small'), silentLog);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: 'validation_error',
      message: 'items[0].quantity: too small',
    });
  });

  it.each([new Error('connect ECONNREFUSED 10.0.0.1 table=prod-orders'), 'a thrown string', undefined])(
    'answers anything unexpected with a generic 500 and logs it (%s)',
    (thrown) => {
      const log: Log = { ...silentLog, error: jest.fn() };

      const response = errorResponse(thrown, log);

      expect(response.statusCode).toBe(500);
      expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
      expect(JSON.parse(response.body)).toEqual({
        error: 'internal_error',
        message: 'Internal server error',
      });
      expect(log.error).toHaveBeenCalledWith('Unhandled error', { error: thrown });
    }
  );
});

describe('stageWideResource', () => {
  it('widens a method ARN to every method and path of its stage', () => {
    expect(stageWideResource('arn:aws:execute-api:us-east-1:123456789012:api123/prod/GET/v1/orders/1')).toBe(
      'arn:aws:execute-api:us-east-1:123456789012:api123/prod/*/*'
    );
    expect(stageWideResource('arn:aws-cn:execute-api:cn-north-1:123456789012:api123/dev/POST/')).toBe(
      'arn:aws-cn:execute-api:cn-north-1:123456789012:api123/dev/*/*'
    );
  });

  it.each([
    '',
    'not-an-arn',
    'arn:aws:lambda:us-east-1:123456789012:function:f',
    'arn:aws:execute-api:r:a:api',
  ])('refuses %j', (arn) => {
    expect(stageWideResource(arn)).toBeUndefined();
  });
});
