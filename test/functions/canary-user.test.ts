import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import {
  type CanaryUserConfig,
  type CanaryUserDeps,
  handleEvent,
  sendResponse,
} from '../../functions/canary-user/provision';

/**
 * The canary user's custom resource provider (functions/canary-user): its lifecycle against fake
 * Cognito and Secrets Manager calls, and its answer to CloudFormation against a local server.
 */
const CONFIG: CanaryUserConfig = {
  userPoolId: 'us-east-1_Pool',
  username: 'api-canary@synthetics.invalid',
  userSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canary-user-AbCdEf',
};
const PASSWORD = 'Gen3rated!password-from-the-secret';
const PROPERTIES = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  UserPoolId: CONFIG.userPoolId,
  Username: CONFIG.username,
  UserSecretArn: CONFIG.userSecretArn,
};
const PHYSICAL_ID = `${CONFIG.userPoolId}/${CONFIG.username}`;

function event(
  RequestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string> = PROPERTIES,
  PhysicalResourceId = PHYSICAL_ID
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: PROPERTIES.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/presigned',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/DevServerlessApi/1',
    RequestId: 'request-1',
    LogicalResourceId: 'ApiCanaryUserResource',
    ResourceType: 'Custom::ApiCanaryUser',
    ResourceProperties: { ...properties, ServiceToken: PROPERTIES.ServiceToken },
  };
  if (RequestType === 'Create') return { ...common, RequestType };
  if (RequestType === 'Update') {
    return {
      ...common,
      RequestType,
      PhysicalResourceId,
      OldResourceProperties: { ...common.ResourceProperties },
    };
  }
  return { ...common, RequestType, PhysicalResourceId };
}

/** Records every call; `users` is the pool (username -> password). */
function fakes(overrides: Partial<CanaryUserDeps> = {}) {
  const calls: string[] = [];
  const logs: string[] = [];
  const users = new Map<string, string | undefined>();
  let secret = JSON.stringify({ username: CONFIG.username, password: PASSWORD });
  const deps: CanaryUserDeps = {
    createUser: (pool, username) => {
      calls.push(`AdminCreateUser ${pool} ${username}`);
      if (users.has(username)) return Promise.resolve('exists');
      users.set(username, undefined);
      return Promise.resolve('created');
    },
    setPassword: (pool, username, password) => {
      calls.push(`AdminSetUserPassword ${pool} ${username}`);
      users.set(username, password);
      return Promise.resolve();
    },
    deleteUser: (pool, username) => {
      calls.push(`AdminDeleteUser ${pool} ${username}`);
      return Promise.resolve(users.delete(username) ? 'deleted' : 'absent');
    },
    secretString: (arn) => {
      calls.push(`GetSecretValue ${arn}`);
      return Promise.resolve(secret);
    },
    log: (message, details) => logs.push(`${message} ${JSON.stringify(details ?? {})}`),
    ...overrides,
  };
  return { deps, calls, logs, users, setSecret: (value: string) => (secret = value) };
}

describe('Create and Update', () => {
  test.each(['Create', 'Update'] as const)(
    '%s: creates the user, reads the secret, sets the password permanently',
    async (type) => {
      const { deps, calls, users } = fakes();
      const response = await handleEvent(event(type), CONFIG, deps);
      expect(response).toEqual({
        Status: 'SUCCESS',
        PhysicalResourceId: PHYSICAL_ID,
        StackId: event(type).StackId,
        RequestId: 'request-1',
        LogicalResourceId: 'ApiCanaryUserResource',
      });
      expect(calls).toEqual([
        `AdminCreateUser ${CONFIG.userPoolId} ${CONFIG.username}`,
        `GetSecretValue ${CONFIG.userSecretArn}`,
        `AdminSetUserPassword ${CONFIG.userPoolId} ${CONFIG.username}`,
      ]);
      expect(users.get(CONFIG.username)).toBe(PASSWORD);
    }
  );

  test('keeps a user that exists (an earlier deploy, or the old self-provisioning canary) and sets the password again', async () => {
    const { deps, users, setSecret } = fakes();
    await handleEvent(event('Create'), CONFIG, deps);
    setSecret(JSON.stringify({ username: CONFIG.username, password: 'A-new-generated-value-1' }));
    const response = await handleEvent(event('Update'), CONFIG, deps);
    expect(response.Status).toBe('SUCCESS');
    expect(users.get(CONFIG.username)).toBe('A-new-generated-value-1');
  });

  test.each([
    ['another user', { ...PROPERTIES, Username: 'victim@example.com' }],
    ['another pool', { ...PROPERTIES, UserPoolId: 'us-east-1_Other' }],
    ['another secret', { ...PROPERTIES, UserSecretArn: `${CONFIG.userSecretArn}x` }],
  ])('refuses properties that name %s, calling nothing', async (_name, properties) => {
    const { deps, calls } = fakes();
    const response = await handleEvent(event('Update', properties), CONFIG, deps);
    expect(response).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/manages .* only/) });
    expect(calls).toEqual([]);
  });

  test.each([
    ['not JSON', 'plain-text-value', /is not JSON/],
    ['without a password', JSON.stringify({ username: CONFIG.username }), /has no "password"/],
    [
      'for another user',
      JSON.stringify({ username: 'someone@example.com', password: PASSWORD }),
      /is for "someone@example.com"/,
    ],
  ])('fails, setting no password, on a secret %s', async (_name, secret, reason) => {
    const { deps, calls, setSecret } = fakes();
    setSecret(secret);
    const response = await handleEvent(event('Create'), CONFIG, deps);
    expect(response).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(reason) });
    expect(calls.filter((c) => c.startsWith('AdminSetUserPassword'))).toEqual([]);
    expect(JSON.stringify(response)).not.toContain('plain-text-value');
  });

  test('answers FAILED with the error when Cognito refuses, never the password', async () => {
    const refused = Object.assign(new Error('Password does not conform to policy'), {
      name: 'InvalidPasswordException',
    });
    const { deps, logs } = fakes({ setPassword: () => Promise.reject(refused) });
    const response = await handleEvent(event('Create'), CONFIG, deps);
    expect(response).toMatchObject({
      Status: 'FAILED',
      Reason: 'InvalidPasswordException: Password does not conform to policy',
      PhysicalResourceId: PHYSICAL_ID,
    });
    expect(JSON.stringify([response, logs])).not.toContain(PASSWORD);
  });
});

describe('Delete', () => {
  test('deletes the configured user', async () => {
    const { deps, calls, users } = fakes();
    await handleEvent(event('Create'), CONFIG, deps);
    const response = await handleEvent(event('Delete'), CONFIG, deps);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
    expect(calls.at(-1)).toBe(`AdminDeleteUser ${CONFIG.userPoolId} ${CONFIG.username}`);
    expect(users.has(CONFIG.username)).toBe(false);
  });

  test('succeeds when the user is already gone', async () => {
    const { deps, logs } = fakes();
    expect((await handleEvent(event('Delete'), CONFIG, deps)).Status).toBe('SUCCESS');
    expect(logs.join('\n')).toMatch(/"outcome":"absent"/);
  });

  test('leaves another user in place (the cleanup after the pool or the username changed)', async () => {
    const { deps, calls } = fakes();
    const old = { ...PROPERTIES, UserPoolId: 'us-east-1_OldPool' };
    const response = await handleEvent(event('Delete', old, 'us-east-1_OldPool/x'), CONFIG, deps);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'us-east-1_OldPool/x' });
    expect(calls).toEqual([]);
  });

  test('answers FAILED when Cognito fails', async () => {
    const { deps } = fakes({ deleteUser: () => Promise.reject(new Error('throttled')) });
    expect(await handleEvent(event('Delete'), CONFIG, deps)).toMatchObject({
      Status: 'FAILED',
      Reason: 'Error: throttled',
    });
  });
});

describe('the answer to CloudFormation', () => {
  let server: Server;
  let url: string;
  let received: { method?: string; contentType?: string; body: string }[];
  let status: number;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ method: request.method, contentType: request.headers['content-type'], body });
        response.writeHead(status, { connection: 'close' });
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/presigned?X-Amz-Signature=x`;
  });
  beforeEach(() => {
    received = [];
    status = 200;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const RESPONSE: CloudFormationCustomResourceResponse = {
    Status: 'SUCCESS',
    PhysicalResourceId: PHYSICAL_ID,
    StackId: 'stack',
    RequestId: 'request-1',
    LogicalResourceId: 'ApiCanaryUserResource',
  };

  test('PUTs the response as JSON to the pre-signed URL, without a content type', async () => {
    await sendResponse(url, RESPONSE, 1_000);
    expect(received).toEqual([{ method: 'PUT', contentType: '', body: JSON.stringify(RESPONSE) }]);
  });

  test('throws when the URL refuses it (the invocation fails, so Lambda retries)', async () => {
    status = 403;
    await expect(sendResponse(url, RESPONSE, 1_000)).rejects.toThrow('HTTP 403');
  });
});
