/**
 * Bake time: after an environment deploys, watch its alarms for a while and fail if any goes to
 * ALARM. Run by the pipeline's Bake step (`npx tsx lib/pipeline/scripts/bake.ts`, after `npm ci`)
 * in the pipeline account: it assumes the environment's bake role (the Monitoring stack's
 * BakeRoleArn output) and polls CloudWatch DescribeAlarms for the alarms its config names
 * (`bakeAlarms`: those our own failures drive, not those outside traffic drives, like WAF blocks).
 *
 * Environment:
 *   BAKE_ROLE_ARN           required; the role to assume in the environment's account
 *   BAKE_REGION             required; the environment's region
 *   BAKE_ALARM_NAMES        required; the full names of the alarms to watch, comma-separated
 *   BAKE_DURATION_SECONDS   required; how long to watch
 *   BAKE_POLL_SECONDS       pause between polls, default 30
 *
 * Exit codes: 0 every alarm stayed out of ALARM for the whole bake; 1 an alarm went to ALARM, or a
 * named alarm does not exist (a misspelt name watches nothing); 2 misconfigured (bad variable).
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmStatus {
  readonly name: string;
  readonly state: AlarmStateValue;
  /** CloudWatch's StateReason: why it is in that state. */
  readonly reason?: string;
}

/** The alarms (metric and composite) of those names that exist. */
export type DescribeAlarms = (names: readonly string[]) => Promise<readonly AlarmStatus[]>;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface BakeOptions {
  /** The full names of the alarms to watch (at least one). */
  readonly alarmNames: readonly string[];
  readonly durationMs: number;
  readonly pollIntervalMs: number;
  readonly describeAlarms: DescribeAlarms;
  readonly clock: Clock;
  readonly log: (message: string) => void;
}

export type BakeResult =
  | { readonly passed: true; readonly polls: number; readonly alarms: number }
  | { readonly passed: false; readonly polls: number; readonly reason: string };

export const DEFAULT_POLL_SECONDS = 30;
/** DescribeAlarms takes at most this many AlarmNames per call. */
export const DESCRIBE_ALARMS_MAX_NAMES = 100;

class ConfigError extends Error {}

/**
 * Polls the alarms from the start to the end of the bake (both included). Fails at the first poll
 * that finds an alarm in ALARM, naming every one and why, or that misses a named alarm.
 * INSUFFICIENT_DATA is not a failure: a quiet metric (no errors, no traffic) is often missing.
 */
export async function bake(options: BakeOptions): Promise<BakeResult> {
  const { alarmNames, clock, log } = options;
  const deadline = clock.now() + options.durationMs;
  log(`bake: watching ${alarmNames.join(', ')} for ${Math.round(options.durationMs / 1000)} s`);
  for (let polls = 1; ; polls++) {
    // Only the named alarms, whatever else the source returns.
    const alarms = (await options.describeAlarms(alarmNames)).filter((alarm) =>
      alarmNames.includes(alarm.name)
    );
    const found = new Set(alarms.map((alarm) => alarm.name));
    const missing = alarmNames.filter((name) => !found.has(name));
    if (missing.length > 0) {
      return {
        passed: false,
        polls,
        reason:
          `no alarm is named ${missing.join(', ')}: the name or the role's account is wrong, ` +
          'and a bake that watches nothing proves nothing',
      };
    }
    const firing = alarms.filter((alarm) => alarm.state === 'ALARM');
    if (firing.length > 0) {
      const names = firing.map((a) => `${a.name}${a.reason ? ` (${a.reason})` : ''}`).join('; ');
      return { passed: false, polls, reason: `${firing.length} alarm(s) in ALARM: ${names}` };
    }
    const remainingMs = deadline - clock.now();
    const counts = countStates(alarms);
    log(`bake: poll ${polls}: ${counts}; ${Math.max(0, Math.ceil(remainingMs / 1000))} s to go`);
    if (remainingMs <= 0) return { passed: true, polls, alarms: alarms.length };
    await clock.sleep(Math.min(options.pollIntervalMs, remainingMs));
  }
}

function countStates(alarms: readonly AlarmStatus[]): string {
  const counts = new Map<string, number>();
  for (const { state } of alarms) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`${name} is not set`);
  return value.trim();
}

/** A comma-separated list of alarm names, at least one, no empty or repeated name. */
export function namesFromEnv(name: string): string[] {
  const names = requireEnv(name)
    .split(',')
    .map((n) => n.trim());
  if (names.some((n) => n === '') || new Set(names).size !== names.length) {
    throw new ConfigError(
      `${name} must list distinct alarm names separated by commas, got ${JSON.stringify(process.env[name])}`
    );
  }
  return names;
}

function secondsFromEnv(name: string, fallback?: number): number {
  const raw = process.env[name];
  if ((raw === undefined || raw.trim() === '') && fallback !== undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a whole number of seconds >= 0, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** DescribeAlarms through a session of the environment's bake role, every page. */
export async function cloudWatchAlarmSource(roleArn: string, region: string): Promise<DescribeAlarms> {
  const sts = new STSClient({ region });
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'pipeline-bake' })
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) {
    throw new Error(`AssumeRole ${roleArn} returned no credentials`);
  }
  const cloudwatch = new CloudWatchClient({
    region,
    credentials: {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
    },
  });
  return async (names) => {
    const alarms: AlarmStatus[] = [];
    for (let start = 0; start < names.length; start += DESCRIBE_ALARMS_MAX_NAMES) {
      let nextToken: string | undefined;
      do {
        const page = await cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: names.slice(start, start + DESCRIBE_ALARMS_MAX_NAMES),
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            NextToken: nextToken,
          })
        );
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName && alarm.StateValue) {
            alarms.push({ name: alarm.AlarmName, state: alarm.StateValue, reason: alarm.StateReason });
          }
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return alarms;
  };
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** @returns the exit code */
export async function main(): Promise<number> {
  let settings;
  try {
    settings = {
      roleArn: requireEnv('BAKE_ROLE_ARN'),
      region: requireEnv('BAKE_REGION'),
      alarmNames: namesFromEnv('BAKE_ALARM_NAMES'),
      durationMs: secondsFromEnv('BAKE_DURATION_SECONDS') * 1000,
      pollIntervalMs: secondsFromEnv('BAKE_POLL_SECONDS', DEFAULT_POLL_SECONDS) * 1000,
    };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`bake: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const result = await bake({
    ...settings,
    describeAlarms: await cloudWatchAlarmSource(settings.roleArn, settings.region),
    clock: realClock,
    log: (message) => console.log(message),
  });
  if (result.passed) {
    console.log(`bake: PASSED: ${result.alarms} alarm(s) stayed out of ALARM for the whole bake`);
    return 0;
  }
  console.error(`bake: FAILED after ${result.polls} poll(s): ${result.reason}`);
  return 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('bake: error:', error);
      process.exit(1);
    }
  );
}
