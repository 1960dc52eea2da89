import { randomUUID } from 'node:crypto';
import { INTEGRATION_TESTS_ENV } from '../../../lib/pipeline/integration-tests-env';

/**
 * Where the integration suite runs: the deployed API (the pipeline's step after the dev deploy, or a
 * developer with dev credentials) when API_URL is set, else the local API started in-process.
 */
export type TargetKind = 'local' | 'cloud';

/** A signed-in user the target made for this run. */
export interface TestUser {
  /** The Cognito `sub`: the user's id in the API. */
  readonly sub: string;
  readonly email: string;
  /** A Cognito ID token, as the API's authorizer expects after `Bearer `. */
  readonly idToken: string;
}

export interface CreateUserOptions {
  /** In the admins group. */
  readonly admin: boolean;
  /** Part of the username, so the user's role in the run is readable (`customer`, `admin`). */
  readonly label: string;
}

export interface ApiTarget {
  readonly kind: TargetKind;
  /** The API's base URL without a trailing slash: `${baseUrl}/v1/products`. */
  readonly baseUrl: string;
  /** The x-api-key value every /v1 call sends. */
  readonly apiKey: string;
  createUser(options: CreateUserOptions): Promise<TestUser>;
  /**
   * Deletes the users it made and stops what it started. Attempts every step, then throws the first
   * error, so one failure does not leave the rest behind.
   */
  dispose(): Promise<void>;
}

/** What the cloud target needs, from the stage's outputs. */
export interface CloudSettings {
  readonly apiUrl: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly apiKeyId: string;
  /** @default - the ambient credentials (a developer's dev profile) */
  readonly roleArn?: string;
  /** The stack's region, read from the user pool id (`<region>_<id>`). */
  readonly region: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The cloud settings when API_URL is set (every other required variable must be too), else
 * undefined: the local target.
 */
export function cloudSettingsFrom(env: Environment): CloudSettings | undefined {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const names = INTEGRATION_TESTS_ENV;
  const apiUrl = value(names.apiUrl);
  if (apiUrl === undefined) return undefined;
  const required = [names.userPoolId, names.userPoolClientId, names.apiKeyId] as const;
  const missing = required.filter((name) => value(name) === undefined);
  if (missing.length > 0) {
    throw new Error(
      `${names.apiUrl} is set, so the suite targets a deployed API, but ${missing.join(', ')} ` +
        `${missing.length === 1 ? 'is' : 'are'} not (the stage's CfnOutputs, see docs/integration-tests.md)`
    );
  }
  const userPoolId = value(names.userPoolId) ?? '';
  const [region, poolSuffix] = userPoolId.split('_');
  if (!region || !poolSuffix) {
    throw new Error(`${names.userPoolId} must look like <region>_<id>, got ${JSON.stringify(userPoolId)}`);
  }
  if (!/^https?:\/\//.test(apiUrl)) {
    throw new Error(`${names.apiUrl} must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  }
  return {
    apiUrl,
    userPoolId,
    userPoolClientId: value(names.userPoolClientId) ?? '',
    apiKeyId: value(names.apiKeyId) ?? '',
    roleArn: value(names.roleArn),
    region,
  };
}

export function targetKind(env: Environment): TargetKind {
  return cloudSettingsFrom(env) ? 'cloud' : 'local';
}

/** The target the environment asks for; each module is loaded only when used. */
export async function startTarget(env: Environment = process.env): Promise<ApiTarget> {
  const cloud = cloudSettingsFrom(env);
  if (cloud) return (await import('./cloud-target')).startCloudTarget(cloud);
  return (await import('./local-target')).startLocalTarget();
}

/** A run id in usernames and product names: which run left something behind, if one ever does. */
export function runId(): string {
  return `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** Runs every cleanup step, even after one fails, then throws the first failure. */
export async function runAll(steps: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(steps.map((step) => step()));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
