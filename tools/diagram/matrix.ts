import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  ENVIRONMENT_NAMES,
  type EnvironmentConfig,
  type EnvironmentName,
  type PipelineConfig,
} from '../../lib/config';

/** One row of the environment matrix: the config keys it shows and how. */
export interface MatrixRow {
  readonly label: string;
  /** Dotted config paths this row renders; a test checks that every config key has a row. */
  readonly keys: readonly string[];
  readonly value: (config: EnvironmentConfig) => string;
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');
const dbClass = (config: EnvironmentConfig, size: ec2.InstanceSize): string =>
  `db.${ec2.InstanceType.of(config.database.instanceClass, size).toString()}`;
const human = (duration: Duration): string => duration.toHumanString();

/** The rows, grouped as a reader compares environments: where, network, data, API, operations. */
export const MATRIX_ROWS: readonly MatrixRow[] = [
  { label: 'Account', keys: ['account'], value: (c) => c.account },
  { label: 'Region', keys: ['region'], value: (c) => c.region },
  { label: 'Availability zones', keys: ['availabilityZones'], value: (c) => c.availabilityZones.join(', ') },
  { label: 'NAT gateways', keys: ['network.natGateways'], value: (c) => String(c.network.natGateways) },
  {
    label: 'Bastion SSH from',
    keys: ['network.bastionSshCidr'],
    value: (c) => c.network.bastionSshCidr ?? 'nowhere (Session Manager)',
  },
  {
    label: 'RDS instance class',
    keys: ['database.instanceClass', 'database.instanceSize'],
    value: (c) => dbClass(c, c.database.instanceSize),
  },
  {
    label: 'RDS read replica class',
    keys: ['database.replicaInstanceSize'],
    value: (c) => dbClass(c, c.database.replicaInstanceSize),
  },
  { label: 'RDS Multi-AZ', keys: ['database.multiAz'], value: (c) => yesNo(c.database.multiAz) },
  {
    label: 'RDS storage (GiB, autoscaling to)',
    keys: ['database.allocatedStorageGiB', 'database.maxAllocatedStorageGiB'],
    value: (c) => `${c.database.allocatedStorageGiB} → ${c.database.maxAllocatedStorageGiB}`,
  },
  {
    label: 'RDS backup retention',
    keys: ['database.backupRetention'],
    value: (c) => human(c.database.backupRetention),
  },
  {
    label: 'PostgreSQL log_statement',
    keys: ['database.logStatement'],
    value: (c) => c.database.logStatement,
  },
  { label: 'Redis node type', keys: ['cache.nodeType'], value: (c) => c.cache.nodeType },
  { label: 'Deletion protection', keys: ['deletionProtection'], value: (c) => yesNo(c.deletionProtection) },
  {
    label: 'Stack termination protection',
    keys: ['terminationProtection'],
    value: (c) => yesNo(c.terminationProtection),
  },
  {
    label: 'Removal policy (stateful resources)',
    keys: ['removalPolicy'],
    value: (c) => String(c.removalPolicy),
  },
  {
    label: 'Final snapshot on delete (RDS, Redis)',
    keys: ['snapshotOnDelete'],
    value: (c) => yesNo(c.snapshotOnDelete),
  },
  { label: 'Log retention (days)', keys: ['logRetention'], value: (c) => String(c.logRetention) },
  { label: 'Lambda log level', keys: ['logLevel'], value: (c) => c.logLevel },
  {
    label: 'API caching',
    keys: ['api.cachingEnabled', 'api.cacheTtl'],
    value: (c) => (c.api.cachingEnabled ? `on, TTL ${human(c.api.cacheTtl)}` : 'off'),
  },
  {
    label: 'API data trace logging',
    keys: ['api.dataTraceEnabled'],
    value: (c) => yesNo(c.api.dataTraceEnabled),
  },
  {
    label: 'API throttling (req/s, burst)',
    keys: ['api.throttlingRateLimit', 'api.throttlingBurstLimit'],
    value: (c) => `${c.api.throttlingRateLimit}, ${c.api.throttlingBurstLimit}`,
  },
  { label: 'CORS origins', keys: ['api.corsOrigins'], value: (c) => c.api.corsOrigins.join(', ') },
  {
    label: 'WAF web ACL',
    keys: ['waf', 'waf.rateLimitPer5Minutes'],
    value: (c) => (c.waf ? `yes, ${c.waf.rateLimitPer5Minutes} requests per IP per 5 minutes` : 'none'),
  },
  {
    label: 'Manual approval before deploy',
    keys: ['requiresApproval'],
    value: (c) => yesNo(c.requiresApproval),
  },
  {
    label: 'Lambda traffic shifting (CodeDeploy)',
    keys: ['deployment.trafficShifting'],
    value: (c) => c.deployment.trafficShifting.deploymentConfigName.replace(/^CodeDeployDefault\.Lambda/, ''),
  },
  {
    label: 'Roll back on alarm',
    keys: ['deployment.rollbackOnAlarm'],
    value: (c) => yesNo(c.deployment.rollbackOnAlarm),
  },
  {
    label: 'Bake time after deploy (alarms watched)',
    keys: ['bakeTime'],
    value: (c) => (c.bakeTime.toSeconds() === 0 ? 'none' : human(c.bakeTime)),
  },
  {
    label: 'Integration tests after deploy',
    keys: ['integrationTests'],
    value: (c) => yesNo(c.integrationTests),
  },
  {
    label: 'API canary (Synthetics)',
    keys: ['synthetics.schedule', 'synthetics.successPercentThreshold'],
    value: (c) =>
      `every ${human(c.synthetics.schedule)}, alarm below ${c.synthetics.successPercentThreshold}% success`,
  },
  { label: 'Alarm e-mail', keys: ['alarmEmail'], value: (c) => c.alarmEmail },
];

/** Keys that are the matrix's columns rather than rows. */
export const MATRIX_COLUMN_KEYS: readonly string[] = ['name'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Dotted paths of a config's leaves; arrays and class instances (Duration, deployment configs) are leaves. */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (!isPlainObject(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

function valueAt(config: EnvironmentConfig, dottedPath: string): unknown {
  return dottedPath
    .split('.')
    .reduce<unknown>((value, key) => (isPlainObject(value) ? value[key] : undefined), config);
}

/** A readable rendering of any config value, for keys without a row of their own. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'boolean') return yesNo(value);
  if (value instanceof Duration) return human(value);
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? typeof value;
}

/**
 * The rows above, then one generic row per config key none of them shows: a setting added to
 * lib/config appears in the matrix (and makes the checked-in docs stale) without touching this file.
 */
export function matrixRows(configs: readonly EnvironmentConfig[]): MatrixRow[] {
  const shown = [...MATRIX_ROWS.flatMap((r) => r.keys), ...MATRIX_COLUMN_KEYS];
  const keys = [...new Set(configs.flatMap((c) => leafPaths(c)))];
  const extra = keys
    .filter((k) => !shown.some((s) => k === s || k.startsWith(`${s}.`)))
    .map((key): MatrixRow => ({
      label: `\`${key}\``,
      keys: [key],
      value: (c) => formatValue(valueAt(c, key)),
    }));
  return [...MATRIX_ROWS, ...extra];
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A Markdown table with padded columns (stable, readable as plain text). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(escapeCell));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    `| ${widths.map((w, i) => (r[i] ?? '').padEnd(w)).join(' | ')} |`;
  const [head, ...body] = cells;
  return [line(head ?? []), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join(
    '\n'
  );
}

/** dev, staging and prod side by side, every value read from the typed config. */
export function renderEnvironmentMatrix(configs: Record<EnvironmentName, EnvironmentConfig>): string {
  return markdownTable(
    ['Setting', ...ENVIRONMENT_NAMES],
    matrixRows(ENVIRONMENT_NAMES.map((name) => configs[name])).map((row) => [
      row.label,
      ...ENVIRONMENT_NAMES.map((name) => row.value(configs[name])),
    ])
  );
}

export function renderPipelineConfig(pipeline: PipelineConfig): string {
  return markdownTable(
    ['Pipeline', 'Value'],
    [
      ['Name', pipeline.pipelineName],
      ['Account', pipeline.account],
      ['Region', pipeline.region],
      ['Source', `${pipeline.repository} (branch ${pipeline.branch}, CodeConnections)`],
      ['Notifications to', pipeline.notificationEmail],
    ]
  );
}
