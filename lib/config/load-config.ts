import {
  ENVIRONMENT_DEFAULTS,
  ENVIRONMENT_NAMES,
  type EnvironmentConfig,
  type EnvironmentContext,
  type EnvironmentName,
  type PipelineConfig,
} from './environment-config';
import { validateApiFunctions } from './function-limits';

/** The context keys this module reads from cdk.json (or `-c` on the command line). */
export const CONTEXT_KEYS = { environments: 'environments', pipeline: 'pipeline' } as const;

/** Anything with `tryGetContext`: an App, a Stage or a construct node. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

/** A config error names the key and shows the bad value. */
export class ConfigError extends Error {
  constructor(key: string, expected: string, value: unknown) {
    super(`Invalid config: ${key} must be ${expected}, got ${JSON.stringify(value)}`);
    this.name = 'ConfigError';
  }
}

const ACCOUNT_ID = /^\d{12}$/;
// Linear despite the optional group (every part is anchored by a '-'), and it only reads cdk.json.
// eslint-disable-next-line security/detect-unsafe-regex -- see above
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
/** The letter an availability zone adds to its region's name (`us-east-1` → `us-east-1a`). */
const AZ_LETTER = /^[a-z]$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const ORIGIN = /^https?:\/\/[^\s/]+$/;
const REPOSITORY = /^[\w.-]+\/[\w.-]+$/;
const CONNECTION_ARN =
  /^arn:aws[\w-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/;
const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;
/** The VPC spans this many AZs (one subnet per tier per AZ). */
export const REQUIRED_AZ_COUNT = 3;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  pattern: RegExp,
  expected: string
): string {
  const value = obj[key];
  if (typeof value !== 'string' || !pattern.test(value))
    throw new ConfigError(`${path}.${key}`, expected, value);
  return value;
}

function requireStringArray(obj: Record<string, unknown>, key: string, path: string): string[] {
  const value = obj[key];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new ConfigError(`${path}.${key}`, 'a list of strings', value);
  }
  return value;
}

function isValidCidr(cidr: string): boolean {
  const m = IPV4_CIDR.exec(cidr);
  if (!m) return false;
  const [, a, b, c, d, mask] = m.map(Number);
  return [a, b, c, d].every((o) => o !== undefined && o <= 255) && mask !== undefined && mask <= 32;
}

/** Validates one environment's context block. */
export function parseEnvironmentContext(name: string, raw: unknown): EnvironmentContext {
  const path = `${CONTEXT_KEYS.environments}.${name}`;
  if (!isRecord(raw)) throw new ConfigError(path, 'an object', raw);
  const account = requireString(raw, 'account', path, ACCOUNT_ID, 'a 12-digit AWS account id');
  const region = requireString(raw, 'region', path, REGION, 'an AWS region such as eu-west-1');
  const availabilityZones = requireStringArray(raw, 'availabilityZones', path);
  if (availabilityZones.length !== REQUIRED_AZ_COUNT) {
    throw new ConfigError(
      `${path}.availabilityZones`,
      `${REQUIRED_AZ_COUNT} availability zones`,
      availabilityZones
    );
  }
  availabilityZones.forEach((az, i) => {
    if (!az.startsWith(region) || !AZ_LETTER.test(az.slice(region.length))) {
      throw new ConfigError(`${path}.availabilityZones[${i}]`, `an availability zone of ${region}`, az);
    }
  });
  if (new Set(availabilityZones).size !== availabilityZones.length) {
    throw new ConfigError(`${path}.availabilityZones`, 'distinct availability zones', availabilityZones);
  }
  const alarmEmail = requireString(raw, 'alarmEmail', path, EMAIL, 'an e-mail address');
  const corsOrigins = requireStringArray(raw, 'corsOrigins', path);
  corsOrigins.forEach((origin, i) => {
    if (!ORIGIN.test(origin)) {
      throw new ConfigError(`${path}.corsOrigins[${i}]`, 'an origin such as https://app.example.com', origin);
    }
  });
  if (corsOrigins.length === 0)
    throw new ConfigError(`${path}.corsOrigins`, 'at least one origin', corsOrigins);
  const bastionSshCidr = raw.bastionSshCidr;
  if (bastionSshCidr !== undefined && (typeof bastionSshCidr !== 'string' || !isValidCidr(bastionSshCidr))) {
    throw new ConfigError(
      `${path}.bastionSshCidr`,
      'an IPv4 CIDR such as 203.0.113.0/24, or absent',
      bastionSshCidr
    );
  }
  return { account, region, availabilityZones, alarmEmail, corsOrigins, bastionSshCidr };
}

function isEnvironmentName(name: string): name is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(name);
}

/** Merges the validated context with the code-defined settings of that environment. */
export function buildEnvironmentConfig(
  name: EnvironmentName,
  context: EnvironmentContext
): EnvironmentConfig {
  const defaults = ENVIRONMENT_DEFAULTS[name];
  const azCount = context.availabilityZones.length;
  const natGateways = defaults.network.natGateways === 'perAz' ? azCount : defaults.network.natGateways;
  if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > azCount) {
    throw new ConfigError(`${name}.network.natGateways`, `an integer from 1 to ${azCount}`, natGateways);
  }
  validateApiFunctions(name, defaults.functions);
  return {
    ...defaults,
    name,
    account: context.account,
    region: context.region,
    availabilityZones: context.availabilityZones,
    alarmEmail: context.alarmEmail,
    network: { natGateways, bastionSshCidr: context.bastionSshCidr },
    api: { ...defaults.api, corsOrigins: context.corsOrigins },
  };
}

/** Reads and validates every environment in context; an unknown or missing name stops synth. */
export function loadEnvironments(source: ContextSource): Record<EnvironmentName, EnvironmentConfig> {
  const raw = source.tryGetContext(CONTEXT_KEYS.environments);
  if (!isRecord(raw))
    throw new ConfigError(CONTEXT_KEYS.environments, 'an object keyed by environment name', raw);
  for (const name of Object.keys(raw)) {
    if (!isEnvironmentName(name)) {
      throw new ConfigError(
        `${CONTEXT_KEYS.environments}.${name}`,
        `one of ${ENVIRONMENT_NAMES.join(', ')}`,
        name
      );
    }
  }
  const entries = ENVIRONMENT_NAMES.map((name) => {
    if (!(name in raw)) throw new ConfigError(`${CONTEXT_KEYS.environments}.${name}`, 'defined', undefined);
    return [name, buildEnvironmentConfig(name, parseEnvironmentContext(name, raw[name]))] as const;
  });
  return Object.fromEntries(entries) as Record<EnvironmentName, EnvironmentConfig>;
}

/** Reads one environment by name (`-c env=staging` style tooling); unknown names stop synth. */
export function loadEnvironment(source: ContextSource, name: string): EnvironmentConfig {
  if (!isEnvironmentName(name))
    throw new ConfigError('environment name', `one of ${ENVIRONMENT_NAMES.join(', ')}`, name);
  return loadEnvironments(source)[name];
}

export function loadPipelineConfig(source: ContextSource): PipelineConfig {
  const path = CONTEXT_KEYS.pipeline;
  const raw = source.tryGetContext(path);
  if (!isRecord(raw)) throw new ConfigError(path, 'an object', raw);
  return {
    account: requireString(raw, 'account', path, ACCOUNT_ID, 'a 12-digit AWS account id'),
    region: requireString(raw, 'region', path, REGION, 'an AWS region such as eu-west-1'),
    pipelineName: requireString(raw, 'pipelineName', path, PIPELINE_NAME, 'a CodePipeline name'),
    repository: requireString(raw, 'repository', path, REPOSITORY, 'owner/repo'),
    branch: requireString(raw, 'branch', path, /^[\w./-]+$/, 'a branch name'),
    connectionArn: requireString(
      raw,
      'connectionArn',
      path,
      CONNECTION_ARN,
      'a CodeConnections connection ARN'
    ),
    notificationEmail: requireString(raw, 'notificationEmail', path, EMAIL, 'an e-mail address'),
  };
}
