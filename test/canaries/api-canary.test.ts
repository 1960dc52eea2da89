import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CanaryCredentials,
  type CanaryOptions,
  CanaryCheckError,
  PRODUCTS_READ_PATH,
  runCanary,
} from '../../canaries/api/checks';
import { freePort } from '../support/dynamodb-local';

/**
 * The API canary's checks against a local server that stands in for API Gateway (the stage is
 * `/test/`) and for Cognito's InitiateAuth endpoint (`/cognito/`): no AWS.
 */
const CREDENTIALS: CanaryCredentials = {
  username: 'api-canary@synthetics.invalid',
  password: 'Sup3r-secret!',
  apiKey: 'canary-api-key-0123456789',
};
const ID_TOKEN = 'header.payload.signature';
const CLIENT_ID = 'client-123';

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
type Handler = (request: Recorded, response: ServerResponse) => void;

/** What the fake services do; each test changes what it needs. */
let health: Handler;
let products: Handler;
let cognito: Handler;
let requests: Recorded[];
let server: Server;
let baseUrl: string;

const json = (response: ServerResponse, status: number, body: unknown) => {
  // No keep-alive: afterEach drops every socket, which a pooled connection would not survive.
  response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  response.end(JSON.stringify(body));
};

/** Cognito as the canary sees it: a password that matches `password`, else NotAuthorizedException. */
function cognitoAccepting(password: () => string): Handler {
  return (request, response) => {
    const body = JSON.parse(request.body) as { AuthParameters: { USERNAME: string; PASSWORD: string } };
    if (body.AuthParameters.PASSWORD === password()) {
      json(response, 200, { AuthenticationResult: { IdToken: ID_TOKEN, AccessToken: 'access' } });
    } else {
      json(response, 400, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    }
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const recorded = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      };
      requests.push(recorded);
      if (recorded.url === '/test/health') health(recorded, response);
      else if (recorded.url === `/test/${PRODUCTS_READ_PATH}`) products(recorded, response);
      else if (recorded.url === '/cognito/') cognito(recorded, response);
      else json(response, 404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => server.closeAllConnections());
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let logs: string[];
let userPassword: string;

beforeEach(() => {
  requests = [];
  logs = [];
  userPassword = CREDENTIALS.password;
  health = (_request, response) => json(response, 200, { status: 'healthy', timestamp: 'now' });
  products = (request, response) =>
    request.headers.authorization === `Bearer ${ID_TOKEN}` &&
    request.headers['x-api-key'] === CREDENTIALS.apiKey
      ? json(response, 200, { items: [{ productId: 'p1' }], nextCursor: null })
      : json(response, 401, { error: 'unauthorized', message: 'Unauthorized' });
  cognito = cognitoAccepting(() => userPassword);
});

function options(overrides: Partial<CanaryOptions> = {}): CanaryOptions {
  return {
    apiUrl: `${baseUrl}/test/`,
    cognitoEndpoint: `${baseUrl}/cognito/`,
    clientId: CLIENT_ID,
    timeoutMs: 1_000,
    credentials: () => Promise.resolve(CREDENTIALS),
    log: (message) => logs.push(message),
    ...overrides,
  };
}

describe('API canary', () => {
  test('passes: /health is healthy, the user signs in, the catalogue is read with the token and the key', async () => {
    await runCanary(options());
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /test/health',
      'POST /cognito/',
      `GET /test/${PRODUCTS_READ_PATH}`,
    ]);
  });

  test('signs in with USER_PASSWORD_AUTH on the API client, as Cognito expects it', async () => {
    await runCanary(options());
    const signIn = requests.find((r) => r.url === '/cognito/')!;
    expect(signIn.headers['x-amz-target']).toBe('AWSCognitoIdentityProviderService.InitiateAuth');
    expect(signIn.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(signIn.body)).toEqual({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: CLIENT_ID,
      AuthParameters: { USERNAME: CREDENTIALS.username, PASSWORD: CREDENTIALS.password },
    });
  });

  test('works with an API URL without the trailing slash (the stage is kept)', async () => {
    await runCanary(options({ apiUrl: `${baseUrl}/test` }));
    expect(requests[0]!.url).toBe('/test/health');
  });

  test('fails when Cognito refuses the password: one sign-in, no repair, no products read', async () => {
    userPassword = 'changed-outside-the-deploy';
    const error = await runCanary(options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanaryCheckError);
    expect((error as Error).message).toMatch(
      /^sign-in: refused \(NotAuthorizedException\): the canary user is missing or its password/
    );
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /test/health', 'POST /cognito/']);
  });

  test('fails when the user does not exist (Cognito answers UserNotFoundException)', async () => {
    cognito = (_request, response) =>
      json(response, 400, { __type: 'UserNotFoundException', message: 'User does not exist.' });
    await expect(runCanary(options())).rejects.toThrow(/sign-in: refused \(UserNotFoundException\)/);
  });

  test.each([
    ['a 5XX', (r: ServerResponse) => json(r, 503, { message: 'Service Unavailable' }), /health: HTTP 503/],
    ['an unhealthy status', (r: ServerResponse) => json(r, 200, { status: 'degraded' }), /not "healthy"/],
    [
      'a body that is not JSON',
      (r: ServerResponse) => {
        r.writeHead(200, { 'content-type': 'text/html', connection: 'close' });
        r.end('<html>');
      },
      /health: the body is not JSON/,
    ],
  ])('fails on /health answering %s, before signing in', async (_name, reply, message) => {
    health = (_request, response) => reply(response);
    await expect(runCanary(options())).rejects.toThrow(message);
    expect(requests.map((r) => r.url)).toEqual(['/test/health']);
  });

  test('fails naming the products read when the API refuses the token or the key', async () => {
    await expect(
      runCanary(options({ credentials: () => Promise.resolve({ ...CREDENTIALS, apiKey: 'wrong' }) }))
    ).rejects.toThrow(/products: HTTP 401 \(expected 200\)/);
  });

  test('fails when the catalogue answer has no items list', async () => {
    products = (_request, response) => json(response, 200, { products: [] });
    await expect(runCanary(options())).rejects.toThrow(/products: the body has no items list/);
  });

  test('fails on a Cognito error other than a refused password, naming the HTTP status', async () => {
    cognito = (_request, response) =>
      json(response, 400, {
        __type: 'ResourceNotFoundException',
        message: 'User pool client does not exist.',
      });
    await expect(runCanary(options())).rejects.toThrow(/sign-in: HTTP 400/);
  });

  test('fails when sign-in answers a challenge instead of a token', async () => {
    cognito = (_request, response) =>
      json(response, 200, { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's' });
    await expect(runCanary(options())).rejects.toThrow(
      'sign-in: no ID token (challenge "SOFTWARE_TOKEN_MFA")'
    );
  });

  test('times out a server that never answers', async () => {
    health = () => undefined;
    const error = await runCanary(options({ timeoutMs: 100 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanaryCheckError);
    expect((error as Error).message).toMatch(/health: no answer within 100 ms/);
  });

  test('fails naming the step when nothing listens', async () => {
    const closedPort = await freePort();
    await expect(runCanary(options({ apiUrl: `http://127.0.0.1:${closedPort}/test/` }))).rejects.toThrow(
      /health: request failed: .*ECONNREFUSED/
    );
  });

  test('never logs or reports the password, the token or the API key', async () => {
    await runCanary(options());
    userPassword = 'changed-outside-the-deploy';
    const error = await runCanary(options()).catch((e: unknown) => e);
    const reported = [...logs, (error as Error).message].join('\n');
    for (const secret of [CREDENTIALS.password, CREDENTIALS.apiKey, ID_TOKEN]) {
      expect(reported).not.toContain(secret);
    }
  });
});
