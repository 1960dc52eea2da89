import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { FetchError, JwksValidationError } from 'aws-jwt-verify/error';
import type { Jwk } from 'aws-jwt-verify/jwk';
import type * as AuthorizerModule from '../../functions/authorizer/index';
import { createRequestAuthorizer, type TokenVerifier } from '../../functions/shared/auth/authorizer';
import { isAdmin } from '../../functions/shared/caller';
import { AUTHORIZER_METRICS, METRIC_NAMESPACES } from '../../functions/shared/contracts';
import { callerFrom } from '../../functions/shared/http/request';
import { apiEvent, authorizerEvent, lambdaContext } from '../support/events';
import { captureOutput, metricRecords, type OutputCapture } from './support/output';

const REGION = 'us-east-1';
const USER_POOL_ID = `${REGION}_TestPool1`;
const OTHER_USER_POOL_ID = `${REGION}_OtherPool`;
const CLIENT_ID = 'test-client-id';
const API_KEY = 'client-a-api-key';
const KID = 'test-key-1';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const impostorKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a JWT by hand (RS256), as Cognito would, so no network and no Cognito are needed. */
function signJwt(payload: Record<string, unknown>, privateKey: KeyObject = keys.privateKey): string {
  const signingInput = `${base64url({ alg: 'RS256', kid: KID, typ: 'JWT' })}.${base64url(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** The claims of a Cognito ID token of the test pool and client, valid for the next hour. */
function idTokenClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'a1b2c3d4-0000-4000-8000-000000000001',
    email: 'ada@example.com',
    email_verified: true,
    'cognito:groups': ['admins', 'staff'],
    'cognito:username': 'ada',
    iss: `https://cognito-idp.${REGION}.amazonaws.com/${USER_POOL_ID}`,
    aud: CLIENT_ID,
    token_use: 'id',
    auth_time: now,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    ...overrides,
  };
}

let authorizer: typeof AuthorizerModule;
let output: OutputCapture;

beforeAll(async () => {
  process.env.USER_POOL_ID = USER_POOL_ID;
  process.env.USER_POOL_CLIENT_ID = CLIENT_ID;
  process.env.POWERTOOLS_SERVICE_NAME = 'authorizer';
  process.env.LOG_LEVEL = 'INFO';
  output = captureOutput();
  authorizer = await import('../../functions/authorizer/index');
  // Hand the verifier the pool's public keys, as it would otherwise fetch them from Cognito.
  const jwk = { ...keys.publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' } as Jwk;
  authorizer.verifier.cacheJwks({ keys: [jwk] });
});

afterAll(() => output.restore());

function authorize(headers: Record<string, string>, methodArn?: string): Promise<APIGatewayAuthorizerResult> {
  return authorizer.handler(authorizerEvent({ headers, methodArn }), lambdaContext('authorizer'));
}

const STAGE_WIDE = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/*/*';

/**
 * A refusal is a Deny policy for the whole stage (API Gateway's ACCESS_DENIED, a 401 in this API),
 * not a thrown error: a thrown refusal is a Lambda error, and anyone could raise the authorizer's
 * alarms with junk tokens. No context and no usage identifier: nothing of the request reaches the API.
 */
function expectDenied(result: APIGatewayAuthorizerResult, resource = STAGE_WIDE): void {
  expect(result).toEqual({
    principalId: 'unauthorized',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: resource }],
    },
  });
}

async function expectUnauthorized(headers: Record<string, string>): Promise<void> {
  expectDenied(await authorize(headers));
  // Refusals are counted nowhere: only unexpected failures publish a metric.
  expect(metricRecords(output, AUTHORIZER_METRICS.unexpectedFailures)).toEqual([]);
}

/** The caller the API's handlers would see for this authorizer answer. */
function callerSeenByApi(result: APIGatewayAuthorizerResult) {
  const event = apiEvent({ method: 'GET', resource: '/v1/users' });
  return callerFrom({ ...event, requestContext: { ...event.requestContext, authorizer: result.context } });
}

describe('authorizer', () => {
  it('allows a valid ID token with an API key, for every method of the stage', async () => {
    const result = await authorize({
      Authorization: `Bearer ${signJwt(idTokenClaims())}`,
      'x-api-key': API_KEY,
    });

    expect(result).toEqual({
      principalId: 'a1b2c3d4-0000-4000-8000-000000000001',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/*/*',
          },
        ],
      },
      context: {
        sub: 'a1b2c3d4-0000-4000-8000-000000000001',
        email: 'ada@example.com',
        groups: '["admins","staff"]',
      },
      usageIdentifierKey: API_KEY,
    });
  });

  it('reads header names case-insensitively and the Bearer scheme in any case', async () => {
    const result = await authorize({
      authorization: `bearer ${signJwt(idTokenClaims())}`,
      'X-Api-Key': API_KEY,
    });

    expect(result.principalId).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(result.usageIdentifierKey).toBe(API_KEY);
  });

  it('passes empty groups and email when the token has none', async () => {
    const claims = idTokenClaims();
    delete claims['cognito:groups'];
    delete claims.email;

    const result = await authorize({ Authorization: `Bearer ${signJwt(claims)}`, 'x-api-key': API_KEY });

    expect(result.context).toEqual({ sub: claims.sub, email: '', groups: '[]' });
  });

  it('passes a group whose name holds a comma as one group, so "support,admins" is no admin', async () => {
    const claims = idTokenClaims({ 'cognito:groups': ['support,admins'] });

    const result = await authorize({ Authorization: `Bearer ${signJwt(claims)}`, 'x-api-key': API_KEY });

    expect(result.context?.groups).toBe('["support,admins"]');
    const caller = callerSeenByApi(result);
    expect(caller.groups).toEqual(['support,admins']);
    expect(isAdmin(caller)).toBe(false);
  });

  it.each([
    ['non-string entries', ['admins', 42, null, { name: 'admins' }, ['admins']], '["admins"]'],
    ['a string instead of a list', 'admins', '[]'],
    ['an object', { 0: 'admins' }, '[]'],
  ])('ignores non-string group claims: %s', async (_, groupsClaim, expected) => {
    const claims = idTokenClaims({ 'cognito:groups': groupsClaim });

    const result = await authorize({ Authorization: `Bearer ${signJwt(claims)}`, 'x-api-key': API_KEY });

    expect(result.context?.groups).toBe(expected);
  });

  it.each([
    ['email_verified false', { email_verified: false }, ''],
    ['email_verified absent', { email_verified: undefined }, ''],
    ["email_verified 'false'", { email_verified: 'false' }, ''],
    ["email_verified 'true' (federated identities)", { email_verified: 'true' }, 'ada@example.com'],
    ['email_verified true', { email_verified: true }, 'ada@example.com'],
  ])('passes the e-mail only when verified: %s', async (_, overrides, expected) => {
    const claims = idTokenClaims(overrides);

    const result = await authorize({ Authorization: `Bearer ${signJwt(claims)}`, 'x-api-key': API_KEY });

    expect(result.context?.email).toBe(expected);
  });

  it.each([
    ['not an ARN', 'not-an-arn'],
    ['no stage', 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234'],
    ['an empty string', ''],
  ])('never allows an unparseable methodArn (%s), even with a valid token', async (_, methodArn) => {
    const result = await authorize(
      { Authorization: `Bearer ${signJwt(idTokenClaims())}`, 'x-api-key': API_KEY },
      methodArn
    );

    expectDenied(result, '*');
  });

  it('derives the stage-wide resource from any method ARN', async () => {
    const result = await authorize(
      { Authorization: `Bearer ${signJwt(idTokenClaims())}`, 'x-api-key': API_KEY },
      'arn:aws:execute-api:eu-west-1:210987654321:zyx987/prod/DELETE/v1/users/123'
    );

    expect(result.policyDocument.Statement[0]).toMatchObject({
      Resource: 'arn:aws:execute-api:eu-west-1:210987654321:zyx987/prod/*/*',
    });
  });

  it.each([
    [
      'an expired token',
      /expired/,
      () => signJwt(idTokenClaims({ exp: Math.floor(Date.now() / 1000) - 60 })),
    ],
    [
      'a token for another app client',
      /Client ID/,
      () => signJwt(idTokenClaims({ aud: 'some-other-client' })),
    ],
    [
      'a token from another user pool',
      /issuer/,
      () =>
        signJwt(idTokenClaims({ iss: `https://cognito-idp.${REGION}.amazonaws.com/${OTHER_USER_POOL_ID}` })),
    ],
    [
      'an access token (ID tokens only)',
      /Token use/,
      () => signJwt(idTokenClaims({ token_use: 'access', client_id: CLIENT_ID })),
    ],
    [
      'a token whose payload was changed after signing',
      /Invalid signature/,
      () => {
        const [header, , signature] = signJwt(idTokenClaims()).split('.');
        return `${header}.${base64url(idTokenClaims({ sub: 'someone-else' }))}.${signature}`;
      },
    ],
    [
      'a token signed with another key',
      /Invalid signature/,
      () => signJwt(idTokenClaims(), impostorKeys.privateKey),
    ],
    [
      'an HS256 token keyed with the public key (algorithm confusion)',
      /algorithm/i,
      () => {
        const signingInput = `${base64url({ alg: 'HS256', kid: KID, typ: 'JWT' })}.${base64url(idTokenClaims())}`;
        const secret = keys.publicKey.export({ format: 'pem', type: 'spki' });
        return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
      },
    ],
  ])('refuses %s with a Deny policy', async (_, reason, token) => {
    output.clear();

    await expectUnauthorized({ Authorization: `Bearer ${token()}`, 'x-api-key': API_KEY });

    // Refused for the right reason (and not, say, because the JWKS could not be fetched).
    expect(output.records()).toContainEqual(
      expect.objectContaining({ message: 'Request not authorized', reason: expect.stringMatching(reason) })
    );
  });

  it.each([
    ['no Authorization header', /Authorization/, { 'x-api-key': API_KEY }],
    ['an empty Authorization header', /Authorization/, { Authorization: '', 'x-api-key': API_KEY }],
    [
      'a token without the Bearer scheme',
      /Authorization/,
      { Authorization: signJwt(idTokenClaims()), 'x-api-key': API_KEY },
    ],
    ['another scheme', /Authorization/, { Authorization: 'Basic YWRhOnNlY3JldA==', 'x-api-key': API_KEY }],
    ['a garbled token', /JSON|JWT/, { Authorization: 'Bearer not.a.jwt', 'x-api-key': API_KEY }],
    ['a token that is not even dotted', /JWT/, { Authorization: 'Bearer %%%%', 'x-api-key': API_KEY }],
    ['no API key', /x-api-key/, { Authorization: `Bearer ${signJwt(idTokenClaims())}` }],
    [
      'an empty API key',
      /x-api-key/,
      { Authorization: `Bearer ${signJwt(idTokenClaims())}`, 'x-api-key': '  ' },
    ],
  ])('refuses a request with %s', async (_, reason, headers) => {
    output.clear();

    await expectUnauthorized(headers);

    expect(output.records()).toContainEqual(
      expect.objectContaining({ message: 'Request not authorized', reason: expect.stringMatching(reason) })
    );
  });

  it('never logs the token', async () => {
    output.clear();
    const token = signJwt(idTokenClaims({ aud: 'some-other-client' }));

    await expectUnauthorized({ Authorization: `Bearer ${token}`, 'x-api-key': API_KEY });

    const logged = JSON.stringify(output.records());
    expect(logged).toContain('Request not authorized');
    expect(logged).not.toContain(token.split('.')[2]);
  });
});

describe('authorizer failures that are not the caller’s doing', () => {
  const logger = new Logger({ serviceName: 'authorizer-failures' });
  const metrics = new Metrics({ namespace: METRIC_NAMESPACES.authorizer, serviceName: 'api-service' });
  const headers = { Authorization: 'Bearer a.b.c', 'x-api-key': API_KEY };

  function failingAuthorizer(error: Error) {
    const verifier: TokenVerifier = { verify: () => Promise.reject(error) };
    return createRequestAuthorizer(verifier, logger, metrics);
  }

  it.each([
    ['the JWKS cannot be fetched', new FetchError('https://cognito-idp/jwks.json', 'timeout')],
    ['the JWKS is not a JWKS', new JwksValidationError('JWKS does not have keys')],
    ['the authorizer crashes', new TypeError("Cannot read properties of undefined (reading 'sub')")],
  ])('throws (API Gateway answers 500) and counts one UnexpectedFailures when %s', async (_, error) => {
    output.clear();

    const outcome = await failingAuthorizer(error)(
      authorizerEvent({ headers }),
      lambdaContext('authorizer')
    ).then(
      () => 'allowed or denied',
      (thrown: unknown) => thrown
    );

    // Any message but 'Unauthorized' is API Gateway's 500 (AUTHORIZER_FAILURE): clients retry.
    expect(outcome).toEqual(new Error('Authorizer failure'));
    const [metric, ...more] = metricRecords(output, AUTHORIZER_METRICS.unexpectedFailures);
    expect(more).toEqual([]);
    expect(metric).toMatchObject({
      [AUTHORIZER_METRICS.unexpectedFailures]: 1,
      service: 'api-service',
      _aws: {
        CloudWatchMetrics: [
          expect.objectContaining({
            Namespace: METRIC_NAMESPACES.authorizer,
            Dimensions: [['service']],
            Metrics: [{ Name: AUTHORIZER_METRICS.unexpectedFailures, Unit: 'Count' }],
          }),
        ],
      },
    });
  });

  it('denies a request without a token before asking the verifier, counting nothing', async () => {
    output.clear();
    const verifier: TokenVerifier = { verify: () => Promise.reject(new FetchError('x', 'y')) };
    const refusing = createRequestAuthorizer(verifier, logger, metrics);

    // No token at all: refused before the verifier (and its JWKS) is ever asked.
    const result = await refusing(authorizerEvent({ headers: { 'x-api-key': API_KEY } }));

    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: STAGE_WIDE },
    ]);
    expect(metricRecords(output, AUTHORIZER_METRICS.unexpectedFailures)).toEqual([]);
  });
});
