/**
 * The API canary's handler, run by CloudWatch Synthetics (a Node.js runtime; the AWS SDK v3 comes
 * with it, so the bundle leaves it out). It wires checks.ts to AWS: the credentials from Secrets
 * Manager, sign-in through Cognito's public endpoint (no IAM permission, no admin API: the canary
 * user is made at deploy). Nothing secret is in the code or the environment: only the secrets' ARNs.
 *
 * Environment: API_URL, USER_POOL_CLIENT_ID, USER_SECRET_ARN (JSON `{username, password}`),
 * API_KEY_SECRET_ARN (the canary's API key value), AWS_REGION (set by the runtime).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type CanaryCredentials, runCanary } from './checks';

/** Per HTTP request; the canary's own timeout bounds the whole run. */
export const REQUEST_TIMEOUT_MS = 10_000;

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') throw new Error(`${name} environment variable is not set`);
  return value;
}

const secrets = new SecretsManagerClient({});

async function secretString(secretId: string): Promise<string> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new Error(`secret ${secretId} has no string value`);
  return SecretString;
}

async function credentials(): Promise<CanaryCredentials> {
  const user = JSON.parse(await secretString(requireEnv('USER_SECRET_ARN'))) as Partial<CanaryCredentials>;
  if (typeof user.username !== 'string' || typeof user.password !== 'string') {
    throw new Error('the canary user secret must be JSON {"username": ..., "password": ...}');
  }
  const apiKey = await secretString(requireEnv('API_KEY_SECRET_ARN'));
  return { username: user.username, password: user.password, apiKey };
}

export const handler = async (): Promise<void> => {
  const region = requireEnv('AWS_REGION');
  await runCanary({
    apiUrl: requireEnv('API_URL'),
    cognitoEndpoint: `https://cognito-idp.${region}.amazonaws.com/`,
    clientId: requireEnv('USER_POOL_CLIENT_ID'),
    timeoutMs: REQUEST_TIMEOUT_MS,
    credentials,
    log: (message) => console.log(message),
  });
};
