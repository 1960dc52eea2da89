/**
 * The integration suite's targets, without AWS: which one the environment selects, and what the
 * cloud target asks of Cognito and API Gateway, against a fake of both on a local port (the SDK's
 * AWS_ENDPOINT_URL_<SERVICE> variables point the clients at it). The suite itself runs on the local
 * target in `npm test`; the cloud target only runs in the pipeline, so this is what proves its calls.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { INTEGRATION_TESTS_ENV } from '../../../lib/pipeline/integration-tests-env';
import { generatePassword, startCloudTarget } from './cloud-target';
import { type CloudSettings, cloudSettingsFrom, targetKind } from './target';

const FULL_ENV = {
  API_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/dev/',
  USER_POOL_ID: 'eu-west-1_AbCdEf123',
  USER_POOL_CLIENT_ID: 'client-123',
  API_KEY_ID: 'key-123',
  INTEGRATION_TEST_ROLE_ARN: 'arn:aws:iam::111111111111:role/dev-pipeline-integration-tests',
};
const API_KEY_VALUE = 'the-api-key-value';
const SUB = '0f1e2d3c-0000-4000-8000-000000000001';
const ID_TOKEN = 'header.payload.signature';

describe('choosing the target from the environment', () => {
  test('the names are the ones the pipeline step sets', () => {
    expect(Object.values(INTEGRATION_TESTS_ENV).sort()).toEqual(Object.keys(FULL_ENV).sort());
  });

  test('no API_URL: the local target', () => {
    expect(cloudSettingsFrom({})).toBeUndefined();
    expect(targetKind({ API_URL: '  ' })).toBe('local');
  });

  test("API_URL and the outputs: the cloud target, in the user pool's region", () => {
    expect(cloudSettingsFrom(FULL_ENV)).toEqual({
      apiUrl: FULL_ENV.API_URL,
      userPoolId: FULL_ENV.USER_POOL_ID,
      userPoolClientId: FULL_ENV.USER_POOL_CLIENT_ID,
      apiKeyId: FULL_ENV.API_KEY_ID,
      roleArn: FULL_ENV.INTEGRATION_TEST_ROLE_ARN,
      region: 'eu-west-1',
    });
    expect(cloudSettingsFrom({ ...FULL_ENV, INTEGRATION_TEST_ROLE_ARN: undefined })?.roleArn).toBeUndefined();
  });

  test('throws naming every missing output when API_URL is set', () => {
    expect(() =>
      cloudSettingsFrom({ API_URL: FULL_ENV.API_URL, USER_POOL_ID: FULL_ENV.USER_POOL_ID })
    ).toThrow('USER_POOL_CLIENT_ID, API_KEY_ID are not');
  });

  test('throws on a user pool id without its region', () => {
    expect(() => cloudSettingsFrom({ ...FULL_ENV, USER_POOL_ID: 'AbCdEf123' })).toThrow(
      'USER_POOL_ID must look like <region>_<id>, got "AbCdEf123"'
    );
  });
});

test('generated passwords meet the pool policy (lower, upper, digit, symbol, 8+) and never repeat', () => {
  const passwords = Array.from({ length: 50 }, generatePassword);
  for (const password of passwords) {
    expect(password.length).toBeGreaterThanOrEqual(8);
    for (const pattern of [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/]) expect(password).toMatch(pattern);
  }
  expect(new Set(passwords).size).toBe(passwords.length);
});

interface AwsCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

/** Cognito (JSON 1.1, X-Amz-Target) and API Gateway's GetApiKey (REST JSON), as far as the target uses them. */
class FakeAws {
  readonly calls: AwsCall[] = [];
  /** Operations that answer a Cognito error, by name. */
  readonly failures = new Map<string, string>();
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  operations(): string[] {
    return this.calls.map((c) => c.operation);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = req.headers['x-amz-target'];
    if (typeof target !== 'string') {
      const apiKeyId = /^\/apikeys\/([^/]+)$/.exec(url.pathname)?.[1];
      this.calls.push({
        operation: 'GetApiKey',
        input: { apiKey: apiKeyId, includeValue: url.searchParams.get('includeValue') },
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: apiKeyId, value: API_KEY_VALUE, enabled: true }));
      return;
    }
    const operation = target.split('.')[1] ?? '';
    this.calls.push({ operation, input: JSON.parse(text) as Record<string, unknown> });
    const failure = this.failures.get(operation);
    if (failure) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': failure });
      res.end(JSON.stringify({ __type: failure, message: `${operation} failed` }));
      return;
    }
    const answers: Record<string, unknown> = {
      AdminCreateUser: {
        User: { Attributes: [{ Name: 'sub', Value: SUB }], UserStatus: 'FORCE_CHANGE_PASSWORD' },
      },
      InitiateAuth: { AuthenticationResult: { IdToken: ID_TOKEN, AccessToken: 'a', ExpiresIn: 3600 } },
    };
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(answers[operation] ?? {}));
  }
}

describe('the cloud target, against a fake Cognito and API Gateway', () => {
  const aws = new FakeAws();
  const settings: CloudSettings = {
    apiUrl: FULL_ENV.API_URL,
    userPoolId: FULL_ENV.USER_POOL_ID,
    userPoolClientId: FULL_ENV.USER_POOL_CLIENT_ID,
    apiKeyId: FULL_ENV.API_KEY_ID,
    // No role: the ambient (here: dummy) credentials, as for a developer running it against dev.
    region: 'eu-west-1',
  };

  beforeAll(async () => {
    const endpoint = await aws.start();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoint,
      AWS_ENDPOINT_URL_API_GATEWAY: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    delete process.env.AWS_PROFILE;
  });

  afterAll(() => aws.stop());

  beforeEach(() => {
    aws.calls.length = 0;
    aws.failures.clear();
  });

  test('reads the API key value, and strips the trailing slash of the API URL', async () => {
    const target = await startCloudTarget(settings);

    expect(target).toMatchObject({
      kind: 'cloud',
      apiKey: API_KEY_VALUE,
      baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/dev',
    });
    expect(aws.calls).toEqual([
      { operation: 'GetApiKey', input: { apiKey: 'key-123', includeValue: 'true' } },
    ]);
    await target.dispose();
  });

  test('makes an admin without an invitation, with a permanent password, signs in with USER_PASSWORD_AUTH', async () => {
    const target = await startCloudTarget(settings);

    const user = await target.createUser({ admin: true, label: 'admin' });

    expect(user).toEqual({
      sub: SUB,
      email: expect.stringMatching(/^integration-tests\+.+-admin@example\.com$/),
      idToken: ID_TOKEN,
    });
    expect(aws.operations()).toEqual([
      'GetApiKey',
      'AdminCreateUser',
      'AdminSetUserPassword',
      'AdminAddUserToGroup',
      'InitiateAuth',
    ]);
    const input = (operation: string) => aws.calls.find((c) => c.operation === operation)!.input;
    expect(input('AdminCreateUser')).toMatchObject({
      UserPoolId: settings.userPoolId,
      Username: user.email,
      MessageAction: 'SUPPRESS',
      UserAttributes: expect.arrayContaining([
        { Name: 'email', Value: user.email },
        { Name: 'email_verified', Value: 'true' },
      ]),
    });
    const password = input('AdminSetUserPassword').Password as string;
    expect(input('AdminSetUserPassword')).toEqual({
      UserPoolId: settings.userPoolId,
      Username: user.email,
      Password: password,
      Permanent: true,
    });
    expect(input('AdminAddUserToGroup')).toEqual({
      UserPoolId: settings.userPoolId,
      Username: user.email,
      GroupName: 'admins',
    });
    expect(input('InitiateAuth')).toEqual({
      ClientId: settings.userPoolClientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: user.email, PASSWORD: password },
    });

    await target.dispose();
    expect(aws.calls.at(-1)).toEqual({
      operation: 'AdminDeleteUser',
      input: { UserPoolId: settings.userPoolId, Username: user.email },
    });
  });

  test('a customer is in no group; every user made is deleted on dispose', async () => {
    const target = await startCloudTarget(settings);
    const first = await target.createUser({ admin: false, label: 'customer' });
    const second = await target.createUser({ admin: false, label: 'other' });

    await target.dispose();

    expect(aws.operations()).not.toContain('AdminAddUserToGroup');
    const deleted = aws.calls.filter((c) => c.operation === 'AdminDeleteUser').map((c) => c.input.Username);
    expect(deleted.sort()).toEqual([first.email, second.email].sort());
  });

  test('a user whose sign-in failed is still deleted, and a user already gone is no error', async () => {
    const target = await startCloudTarget(settings);
    aws.failures.set('InitiateAuth', 'NotAuthorizedException');

    await expect(target.createUser({ admin: false, label: 'customer' })).rejects.toThrow(
      'InitiateAuth failed'
    );
    aws.failures.set('AdminDeleteUser', 'UserNotFoundException');
    await target.dispose();

    expect(aws.operations().filter((op) => op === 'AdminDeleteUser')).toHaveLength(1);
  });

  test('a create that failed (it may have reached Cognito) is followed by a delete', async () => {
    const target = await startCloudTarget(settings);
    aws.failures.set('AdminCreateUser', 'InternalErrorException');

    await expect(target.createUser({ admin: false, label: 'customer' })).rejects.toThrow(
      'AdminCreateUser failed'
    );
    await target.dispose();

    expect(aws.operations().slice(-1)).toEqual(['AdminDeleteUser']);
  });

  test('dispose fails when a user cannot be deleted, after trying the others', async () => {
    const target = await startCloudTarget(settings);
    await target.createUser({ admin: false, label: 'a' });
    await target.createUser({ admin: false, label: 'b' });
    aws.failures.set('AdminDeleteUser', 'AccessDeniedException');

    await expect(target.dispose()).rejects.toThrow('AdminDeleteUser failed');

    expect(aws.operations().filter((op) => op === 'AdminDeleteUser')).toHaveLength(2);
  });
});
