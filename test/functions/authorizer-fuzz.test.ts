import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { Jwk, Jwks } from 'aws-jwt-verify/jwk';
import fc from 'fast-check';
import type * as AuthorizerModule from '../../functions/authorizer/index';
import { AUTHORIZER_METRICS } from '../../functions/shared/contracts';
import { authorizerEvent, lambdaContext } from '../support/events';
import { captureOutput, metricRecords, type OutputCapture } from './support/output';

/**
 * The REQUEST authorizer under hostile Authorization values. Whatever arrives, the handler must
 * answer a stage-wide Deny policy (API Gateway's ACCESS_DENIED, a 401 here), never allow, never
 * throw (a thrown error is a Lambda error of the authorizer, and a 500) and never count an
 * unexpected failure: junk tokens must not raise the authorizer's alarms or roll back its
 * deployment. Every crafted token is a valid one with a single defect, and a control test
 * shows the valid one is allowed, so each rejection is down to that defect.
 */

const REGION = 'us-east-1';
const USER_POOL_ID = `${REGION}_FuzzPool1`;
const CLIENT_ID = 'fuzz-client-id';
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${USER_POOL_ID}`;
const API_KEY = 'fuzz-api-key';
const KID = 'fuzz-key-1';
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicJwk = { ...keys.publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' } as Jwk;
const publicPem = keys.publicKey.export({ format: 'pem', type: 'spki' });

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with this header, signed RS256 with `privateKey` (the pool's key unless told otherwise). */
function signJwt(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'RS256', kid: KID, typ: 'JWT' },
  privateKey: KeyObject = keys.privateKey
): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
}

/** The claims of a valid Cognito ID token of the pool and client, for the next hour. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'f0f0f0f0-0000-4000-8000-000000000001',
    email: 'fuzz@example.com',
    'cognito:groups': ['admins'],
    iss: ISSUER,
    aud: CLIENT_ID,
    token_use: 'id',
    auth_time: now,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    ...overrides,
  };
}

/** True when `changed` differs from `token` only in how its (identical) signature bytes are spelt. */
function sameSignedToken(token: string, changed: string): boolean {
  const [header, payload, signature = ''] = token.split('.');
  const parts = changed.split('.');
  return (
    parts.length === 3 &&
    parts[0] === header &&
    parts[1] === payload &&
    /^[A-Za-z0-9_-]+={0,2}$/.test(parts[2]!) &&
    Buffer.from(parts[2]!, 'base64url').equals(Buffer.from(signature, 'base64url'))
  );
}

let authorizer: typeof AuthorizerModule;
let output: OutputCapture;
/** JWKS downloads the verifier attempted (an unknown kid makes it look for a rotated key). */
let jwksFetches = 0;
let cases = 0;

beforeAll(async () => {
  process.env.USER_POOL_ID = USER_POOL_ID;
  process.env.USER_POOL_CLIENT_ID = CLIENT_ID;
  process.env.POWERTOOLS_SERVICE_NAME = 'authorizer-fuzz';
  process.env.LOG_LEVEL = 'INFO';
  output = captureOutput();
  authorizer = await import('../../functions/authorizer/index');
  const jwks: Jwks = { keys: [publicJwk] };
  authorizer.verifier.cacheJwks(jwks);
  // An unknown kid makes the verifier download the JWKS again, in case keys were rotated. Serve
  // that download from memory (the same key set) instead of calling Cognito over the network.
  // The cache is private in aws-jwt-verify's types, hence the cast; checked so a library change
  // fails loudly here rather than sending the tests to the internet.
  const cache = (authorizer.verifier as unknown as { jwksCache?: { fetcher?: unknown } }).jwksCache;
  if (!cache || typeof cache.fetcher !== 'object') throw new Error('aws-jwt-verify internals changed');
  cache.fetcher = {
    fetch: () => {
      jwksFetches++;
      return Promise.resolve(new TextEncoder().encode(JSON.stringify(jwks)).buffer);
    },
  };
});

afterAll(() => {
  output.restore();
  console.log(`authorizer fuzz cases run: ${cases} (JWKS downloads attempted: ${jwksFetches})`);
});

afterEach(() => output.clear());

function authorize(headers: Record<string, string>): Promise<unknown> {
  cases++;
  return authorizer.handler(authorizerEvent({ headers }), lambdaContext('authorizer'));
}

/** Resolves to the policy the handler answered; fails if it allowed the request or threw. */
async function rejection(authorization: string | undefined): Promise<unknown> {
  const headers: Record<string, string> = { 'x-api-key': API_KEY };
  if (authorization !== undefined) headers.Authorization = authorization;
  const outcome = await authorize(headers).then(
    (policy) => ({ policy }),
    (error: unknown) => ({ error })
  );
  if ('error' in outcome) {
    throw new Error(`threw on ${JSON.stringify(authorization?.slice(0, 200))}: ${String(outcome.error)}`);
  }
  return outcome.policy;
}

/** Exactly a stage-wide Deny: no Allow anywhere, no context, no usage identifier. */
function expectExactlyDenied(policy: unknown): void {
  expect(policy).toEqual({
    principalId: 'unauthorized',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Deny',
          Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/*/*',
        },
      ],
    },
  });
}

async function expectRejected(authorization: string | undefined): Promise<void> {
  expectExactlyDenied(await rejection(authorization));
  expect(metricRecords(output, AUTHORIZER_METRICS.unexpectedFailures)).toEqual([]);
}

/** The reasons the handler logged for its refusals since the last clear. */
function loggedReasons(): string[] {
  return output
    .records()
    .filter((record) => record.message === 'Request not authorized')
    .map((record) => String(record.reason));
}

describe('control', () => {
  it('allows a valid token, so every rejection below is down to its one defect', async () => {
    const policy = (await authorize({
      Authorization: `Bearer ${signJwt(claims())}`,
      'x-api-key': API_KEY,
    })) as {
      principalId: string;
    };

    expect(policy.principalId).toBe('f0f0f0f0-0000-4000-8000-000000000001');
  });
});

describe('crafted tokens', () => {
  const now = (): number => Math.floor(Date.now() / 1000);
  const unsigned = (header: Record<string, unknown>, payload = claims()): string =>
    `${base64url(header)}.${base64url(payload)}.`;

  it.each<[string, () => string, RegExp]>([
    [
      'alg none, unsigned',
      () => `Bearer ${unsigned({ alg: 'none', kid: KID, typ: 'JWT' })}`,
      /alg|signature/i,
    ],
    [
      'alg none, with the RS256 signature kept',
      () => {
        const [, payload, signature] = signJwt(claims()).split('.');
        return `Bearer ${base64url({ alg: 'none', kid: KID })}.${payload}.${signature}`;
      },
      /alg/i,
    ],
    [
      'HS256 signed with the public key PEM as the secret',
      () => {
        const input = `${base64url({ alg: 'HS256', kid: KID, typ: 'JWT' })}.${base64url(claims())}`;
        return `Bearer ${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
      },
      /alg/i,
    ],
    ['a wrong issuer', () => `Bearer ${signJwt(claims({ iss: `${ISSUER}x` }))}`, /issuer/i],
    [
      'an issuer of another pool in the same region',
      () =>
        `Bearer ${signJwt(claims({ iss: `https://cognito-idp.${REGION}.amazonaws.com/${REGION}_Other` }))}`,
      /issuer/i,
    ],
    ['expired a second ago', () => `Bearer ${signJwt(claims({ exp: now() - 1 }))}`, /expired/i],
    ['expired long ago', () => `Bearer ${signJwt(claims({ iat: 0, exp: 1 }))}`, /expired/i],
    ['not valid before next minute (nbf)', () => `Bearer ${signJwt(claims({ nbf: now() + 60 }))}`, /before/i],
    ['no kid', () => `Bearer ${signJwt(claims(), { alg: 'RS256', typ: 'JWT' })}`, /kid/i],
    [
      'an unknown kid',
      () => `Bearer ${signJwt(claims(), { alg: 'RS256', kid: 'rotated-away' })}`,
      /kid|wait/i,
    ],
    [
      'the right kid but another key',
      () =>
        `Bearer ${signJwt(claims(), undefined, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)}`,
      /signature/i,
    ],
    ['a wrong audience', () => `Bearer ${signJwt(claims({ aud: 'other-client' }))}`, /client id|audience/i],
    ['an access token', () => `Bearer ${signJwt(claims({ token_use: 'access' }))}`, /token use/i],
    ['Bearer and nothing else', () => 'Bearer', /Authorization/],
    ['Bearer and a space', () => 'Bearer ', /Authorization/],
    ['Bearer and spaces', () => 'Bearer      ', /Authorization/],
    ['a token split by a space', () => `Bearer ${signJwt(claims()).replace('.', ' .')}`, /Authorization/],
    ['two tokens', () => `Bearer ${signJwt(claims())} ${signJwt(claims())}`, /Authorization/],
    ['the scheme twice', () => `Bearer Bearer ${signJwt(claims())}`, /Authorization/],
    [
      'lowercase bearer with an expired token',
      () => `bearer ${signJwt(claims({ exp: now() - 1 }))}`,
      /expired/i,
    ],
    ['multiple spaces with a wrong issuer', () => `Bearer    ${signJwt(claims({ iss: 'x' }))}`, /issuer/i],
    ['no scheme', () => signJwt(claims()), /Authorization/],
    ['another scheme', () => `Basic ${signJwt(claims())}`, /Authorization/],
    ['the scheme glued to the token', () => `Bearer${signJwt(claims())}`, /Authorization/],
  ])('rejects %s', async (_, authorization, reason) => {
    await expectRejected(authorization());

    expect(loggedReasons()).toEqual([expect.stringMatching(reason)]);
  });

  it('rejects a request without an Authorization header, and one whose value is empty', async () => {
    await expectRejected(undefined);
    await expectRejected('');
    await expectRejected('   ');
  });
});

describe('random input', () => {
  /** Runs the property: each value becomes an Authorization header that must be rejected. */
  async function fuzz(values: fc.Arbitrary<string>): Promise<void> {
    await fc.assert(
      fc.asyncProperty(values, async (authorization) => {
        await expectRejected(authorization);
        output.clear();
      }),
      { numRuns: RUNS }
    );
  }

  const randomBytes = fc.uint8Array({ minLength: 0, maxLength: 600 }).map((bytes) => Buffer.from(bytes));

  it('rejects random strings as the whole Authorization value', async () => {
    await fuzz(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })));
  });

  it('rejects random bytes, raw or encoded, after Bearer', async () => {
    await fuzz(
      fc.oneof(
        randomBytes.map((bytes) => `Bearer ${bytes.toString('latin1')}`),
        randomBytes.map((bytes) => `Bearer ${bytes.toString('base64url')}`),
        fc
          .array(randomBytes, { minLength: 1, maxLength: 5 })
          .map((parts) => `Bearer ${parts.map((part) => part.toString('base64url')).join('.')}`)
      )
    );
  });

  it('rejects JWT-shaped tokens with random headers, payloads and signatures', async () => {
    const json = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }))
    );
    await fuzz(
      fc
        .tuple(
          json,
          json,
          fc.oneof(
            fc.string(),
            randomBytes.map((bytes) => bytes.toString('base64url'))
          )
        )
        .map(
          ([header, payload, signature]) => `Bearer ${base64url(header)}.${base64url(payload)}.${signature}`
        )
    );
  });

  it('rejects correctly signed tokens with one claim or header field corrupted', async () => {
    const wrong = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.string(), fc.integer());
    const defect = fc.oneof(
      // A claim the verifier must check, replaced by anything but its valid value (or removed).
      // Except a missing exp: aws-jwt-verify treats exp as optional (RFC 7519), so a token
      // without one, signed with the pool's key, is accepted. Cognito always sets exp and only
      // Cognito holds the key, so no attacker can make such a token.
      fc
        .tuple(fc.constantFrom('iss', 'aud', 'token_use', 'exp'), fc.option(wrong, { nil: undefined }))
        .filter(
          ([name, value]) =>
            value !== claims()[name] &&
            !(
              name === 'exp' &&
              (value === undefined || (typeof value === 'number' && value > Date.now() / 1000))
            )
        )
        .map(([name, value]) => ({ claims: { [name]: value }, header: {} })),
      // nbf in the future.
      fc.integer({ min: 5, max: 10 ** 9 }).map((ahead) => ({
        claims: { nbf: Math.floor(Date.now() / 1000) + ahead },
        header: {},
      })),
      // A header with the wrong algorithm or kid, still signed RS256 with the pool's key.
      fc
        .tuple(fc.constantFrom('alg', 'kid'), fc.option(wrong, { nil: undefined }))
        .filter(([name, value]) => value !== (name === 'alg' ? 'RS256' : KID))
        .map(([name, value]) => ({ claims: {}, header: { [name]: value } }))
    );
    await fuzz(
      defect.map(({ claims: bad, header }) => {
        const payload = claims(bad);
        for (const [name, value] of Object.entries(bad)) if (value === undefined) delete payload[name];
        const jwtHeader: Record<string, unknown> = { alg: 'RS256', kid: KID, typ: 'JWT', ...header };
        for (const [name, value] of Object.entries(header)) if (value === undefined) delete jwtHeader[name];
        return `Bearer ${signJwt(payload, jwtHeader)}`;
      })
    );
  });

  it('rejects valid tokens with random characters inserted, removed or replaced', async () => {
    await fuzz(
      fc
        .tuple(
          fc.nat(),
          fc.constantFrom('insert', 'delete', 'replace'),
          fc.string({ minLength: 1, maxLength: 3 })
        )
        .map(([at, how, text]) => {
          const token = signJwt(claims());
          const i = at % token.length;
          const changed =
            how === 'insert'
              ? `${token.slice(0, i)}${text}${token.slice(i)}`
              : how === 'delete'
                ? `${token.slice(0, i)}${token.slice(i + 1)}`
                : `${token.slice(0, i)}${text}${token.slice(i + text.length)}`;
          return { token, changed };
        })
        // Not a defect: the same signature bytes spelt differently. Base64url leaves spare bits in
        // a segment's last character, and JWTs may carry `=` padding, so such a change to the
        // signature segment still decodes to the very signature that was issued.
        // Nor is white space before or after the token: `Bearer  <token>` is the same credential
        // (RFC 9110 allows 1*SP after the scheme, and the header value is trimmed).
        .filter(({ token, changed }) => changed.trim() !== token)
        .filter(({ token, changed }) => !sameSignedToken(token, changed))
        .map(({ changed }) => `Bearer ${changed}`)
    );
  });
});
