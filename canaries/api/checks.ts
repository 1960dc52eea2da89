/**
 * What the API canary checks, with everything it talks to passed in: the API base URL, the Cognito
 * endpoint and where the credentials come from. The canary's handler (index.ts) wires these to AWS;
 * the tests to a local HTTP server.
 *
 * The canary is a client and nothing more: its user is made at deploy (the CanaryUser custom
 * resource), and the canary has no right to create it or reset its password. A refused password
 * (the secret and Cognito disagree, or the user is missing) fails the run.
 *
 * A run passes when it resolves and fails when it throws: CloudWatch Synthetics records that as
 * the run's SuccessPercent, which the canary's alarms watch.
 */

/** The canary user's sign-in (Secrets Manager) and the canary's own API key (Secrets Manager). */
export interface CanaryCredentials {
  readonly username: string;
  readonly password: string;
  readonly apiKey: string;
}

export interface CanaryOptions {
  /** The RestApi url: ends with the stage, `https://<id>.execute-api.<region>.amazonaws.com/<stage>/`. */
  readonly apiUrl: string;
  /** Cognito's regional endpoint, `https://cognito-idp.<region>.amazonaws.com/`. */
  readonly cognitoEndpoint: string;
  /** The app client that the API's authorizer accepts tokens of. */
  readonly clientId: string;
  /** Per request, for the response body too. */
  readonly timeoutMs: number;
  readonly credentials: () => Promise<CanaryCredentials>;
  readonly log: (message: string) => void;
}

/** A check that failed: the message says which and why. */
export class CanaryCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanaryCheckError';
  }
}

/** The catalogue's first page: a read that goes through the authorizer, the API key and a Lambda. */
export const PRODUCTS_READ_PATH = 'v1/products?limit=1';
/** Cognito's answer for a wrong password and (preventUserExistenceErrors) for an unknown user. */
const SIGN_IN_REFUSED = new Set(['NotAuthorizedException', 'UserNotFoundException']);
const EXCERPT_LENGTH = 200;

/** GET /health, then sign in and read the catalogue; throws {@link CanaryCheckError} naming the step. */
export async function runCanary(options: CanaryOptions): Promise<void> {
  await checkHealth(options);
  const credentials = await options.credentials();
  const idToken = await signIn(options, credentials);
  await checkProductsRead(options, idToken, credentials.apiKey);
}

export async function checkHealth(options: CanaryOptions): Promise<void> {
  const url = resolve(options.apiUrl, 'health');
  const { status, text } = await request(url, { method: 'GET' }, options.timeoutMs, 'health');
  if (status !== 200)
    throw new CanaryCheckError(`health: HTTP ${status} (expected 200), body ${excerpt(text)}`);
  const body = parseJson(text, 'health');
  if (!isRecord(body) || body.status !== 'healthy') {
    throw new CanaryCheckError(`health: status is not "healthy": ${excerpt(text)}`);
  }
  options.log(`health: HTTP 200, status "healthy" (${url.href})`);
}

/**
 * Signs the canary user in (USER_PASSWORD_AUTH) and returns its ID token, the token the API's
 * authorizer verifies. A refused password is a failure, not something the canary repairs: the deploy
 * provisions the user, and a password that differs from the secret needs a deploy or an operator.
 */
export async function signIn(options: CanaryOptions, credentials: CanaryCredentials): Promise<string> {
  const outcome = await initiateAuth(options, credentials);
  if (outcome.kind === 'token') return outcome.idToken;
  throw new CanaryCheckError(
    `sign-in: refused (${outcome.errorType}): the canary user is missing or its password is not the ` +
      'one in its secret; the deploy provisions it (Custom::ApiCanaryUser), the canary cannot'
  );
}

export async function checkProductsRead(
  options: CanaryOptions,
  idToken: string,
  apiKey: string
): Promise<void> {
  const url = resolve(options.apiUrl, PRODUCTS_READ_PATH);
  const { status, text } = await request(
    url,
    { method: 'GET', headers: { authorization: `Bearer ${idToken}`, 'x-api-key': apiKey } },
    options.timeoutMs,
    'products'
  );
  if (status !== 200) {
    throw new CanaryCheckError(`products: HTTP ${status} (expected 200), body ${excerpt(text)}`);
  }
  const body = parseJson(text, 'products');
  if (!isRecord(body) || !Array.isArray(body.items)) {
    throw new CanaryCheckError(`products: the body has no items list: ${excerpt(text)}`);
  }
  options.log(`products: HTTP 200, ${body.items.length} item(s) (${url.href})`);
}

type AuthOutcome = { kind: 'token'; idToken: string } | { kind: 'refused'; errorType: string };

async function initiateAuth(options: CanaryOptions, credentials: CanaryCredentials): Promise<AuthOutcome> {
  const { status, text } = await request(
    new URL(options.cognitoEndpoint),
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: options.clientId,
        AuthParameters: { USERNAME: credentials.username, PASSWORD: credentials.password },
      }),
    },
    options.timeoutMs,
    'sign-in'
  );
  const body = parseJson(text, 'sign-in');
  if (status === 200) {
    const result = isRecord(body) ? body.AuthenticationResult : undefined;
    const idToken = isRecord(result) ? result.IdToken : undefined;
    if (typeof idToken === 'string' && idToken !== '') return { kind: 'token', idToken };
    // A challenge (MFA, new password) means the user is not what the deploy provisions.
    const challenge = isRecord(body) ? body.ChallengeName : undefined;
    throw new CanaryCheckError(`sign-in: no ID token (challenge ${JSON.stringify(challenge)})`);
  }
  // Cognito's JSON errors carry `__type`, sometimes prefixed with a namespace (`...#NotAuthorized...`).
  const errorType = isRecord(body) && typeof body.__type === 'string' ? body.__type.split('#').pop() : '';
  if (status === 400 && errorType && SIGN_IN_REFUSED.has(errorType)) return { kind: 'refused', errorType };
  throw new CanaryCheckError(`sign-in: HTTP ${status}, ${excerpt(text)}`);
}

/** Never logs request headers or bodies: they carry the token, the API key and the password. */
async function request(
  url: URL,
  init: RequestInit,
  timeoutMs: number,
  step: string
): Promise<{ status: number; text: string }> {
  try {
    // One signal for the headers and the body: a server that stalls mid-body also times out.
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    // Duck-typed: fetch's errors may come from another realm, where `instanceof Error` is false.
    const { name, cause } = errorFields(error);
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new CanaryCheckError(`${step}: no answer within ${timeoutMs} ms (${url.origin}${url.pathname})`);
    }
    // fetch wraps network failures in TypeError('fetch failed') with the socket error as `cause`.
    const detail = errorFields(cause);
    const reason = detail.message
      ? `${detail.code ? `${detail.code} ` : ''}${detail.message}`
      : errorFields(error).message || String(error);
    throw new CanaryCheckError(`${step}: request failed: ${reason}`);
  }
}

/** The trailing slash matters: without it `new URL('health', '.../prod')` drops the stage. */
function resolve(apiUrl: string, relative: string): URL {
  return new URL(relative, apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);
}

function parseJson(text: string, step: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CanaryCheckError(`${step}: the body is not JSON: ${excerpt(text)}`);
  }
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}...` : text);
}

function errorFields(error: unknown): { name?: string; message?: string; code?: string; cause?: unknown } {
  if (!isRecord(error) && !(error instanceof Error)) return {};
  const fields = error as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === 'string' ? fields[key] : undefined);
  return { name: text('name'), message: text('message'), code: text('code'), cause: fields.cause };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
