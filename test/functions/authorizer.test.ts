import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { Jwk } from 'aws-jwt-verify/jwk';
import type * as AuthorizerModule from '../../functions/authorizer/index';
import { authorizerEvent, lambdaContext } from '../support/events';
import { captureOutput, type OutputCapture } from './support/output';

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

async function expectUnauthorized(headers: Record<string, string>): Promise<void> {
  const outcome = await authorize(headers).then(
    () => 'allowed',
    (error: unknown) => error
  );
  // Exactly this error: API Gateway maps the message 'Unauthorized' to a 401; anything else is a 500.
  expect(outcome).toBeInstanceOf(Error);
  expect(outcome).toEqual(new Error('Unauthorized'));
  expect((outcome as Error).name).toBe('Error');
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
        groups: 'admins,staff',
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

    expect(result.context).toEqual({ sub: claims.sub, email: '', groups: '' });
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
  ])('refuses %s with Unauthorized', async (_, reason, token) => {
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
