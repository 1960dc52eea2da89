import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { API_FUNCTIONS, type ApiFunctionsConfig, IDENTITY, type IdentityConfig } from './function-limits';

/**
 * The one place where per-environment settings live. Stacks read these values; they never
 * branch on the environment's name.
 *
 * cdk.json context supplies what differs per organisation (accounts, regions, AZs, e-mail,
 * origins, SSH CIDR, the source repository); everything else is defined here, per environment.
 */

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** PostgreSQL `log_statement`: `all` logs every statement, passwords included, so only dev uses it. */
export type PostgresLogStatement = 'none' | 'ddl' | 'mod' | 'all';

export interface NetworkConfig {
  /** 1 in dev and staging (cost); one per AZ in prod (an AZ outage keeps egress). */
  readonly natGateways: number;
  /** SSH into the bastion SG from this CIDR. @default - no SSH rule; use Session Manager */
  readonly bastionSshCidr?: string;
}

export interface DatabaseConfig {
  readonly instanceClass: ec2.InstanceClass;
  readonly instanceSize: ec2.InstanceSize;
  readonly replicaInstanceSize: ec2.InstanceSize;
  readonly multiAz: boolean;
  readonly backupRetention: Duration;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly logStatement: PostgresLogStatement;
}

export interface CacheConfig {
  readonly nodeType: string;
}

/** How a new version of each API function goes live (lib/constructs/canary-deployment.ts). */
export interface DeploymentConfig {
  /** CodeDeploy moves the function's `live` alias to the new version this way. */
  readonly trafficShifting: codedeploy.ILambdaDeploymentConfig;
  /**
   * The deploy-guard alarms (the function's errors, the API's 5XX) stop the shift and roll back.
   * Only meaningful with gradual shifting: all-at-once leaves no window to watch.
   */
  readonly rollbackOnAlarm: boolean;
}

export interface ApiConfig {
  readonly corsOrigins: readonly string[];
  /** Stage cache for caller-independent GETs only (see the API stack). */
  readonly cachingEnabled: boolean;
  readonly cacheTtl: Duration;
  /** Full request/response logging: bodies carry personal data, so dev only. */
  readonly dataTraceEnabled: boolean;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
}

/** The WAFv2 web ACL in front of the API stage (lib/constructs/api-waf.ts). */
export interface WafConfig {
  /**
   * Requests one client IP may send in any 5-minute window before WAF blocks that IP (until its rate
   * falls back under the limit). WAF accepts 10 to 2,000,000,000.
   */
  readonly rateLimitPer5Minutes: number;
  /**
   * Requests one caller (one `Authorization` header value) may send in any 5-minute window before
   * WAF blocks that caller, so a few clients cannot use up the usage plan's bucket, which every
   * caller shares through the one API key. 600 is 2 requests/s sustained, far above what one person
   * drives through the app. A caller that refreshes its token gets a new key (a fresh count): this
   * bounds a runaway client, not a determined one, which the per-IP rule still limits. Requests
   * without the header (/health) are not counted. WAF accepts 10 to 2,000,000,000.
   */
  readonly perCallerRateLimitPer5Minutes: number;
}

/** The CloudWatch Synthetics canary on the API (lib/constructs/api-canary.ts). */
export interface SyntheticsConfig {
  /** How often the canary calls /health and an authenticated read. */
  readonly schedule: Duration;
  /**
   * Below this SuccessPercent of the canary's runs in a period, its alarms fire: the deploy guard
   * (rolls a deployment back where `deployment.rollbackOnAlarm`) and the Monitoring stack's (notifies).
   */
  readonly successPercentThreshold: number;
}

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  readonly account: string;
  readonly region: string;
  /** Explicit AZs: synth never looks them up, so it needs no AWS credentials. */
  readonly availabilityZones: readonly string[];
  /** Removal policy of stateful resources (keys, secrets, tables, user pool, log groups). */
  readonly removalPolicy: RemovalPolicy;
  /** RDS and ElastiCache take a final snapshot on delete. */
  readonly snapshotOnDelete: boolean;
  readonly deletionProtection: boolean;
  readonly terminationProtection: boolean;
  /** A manual approval in the pipeline precedes this environment's deployment. */
  readonly requiresApproval: boolean;
  readonly deployment: DeploymentConfig;
  readonly logRetention: logs.RetentionDays;
  /** Powertools LOG_LEVEL of the Lambda functions. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN';
  readonly alarmEmail: string;
  readonly network: NetworkConfig;
  readonly database: DatabaseConfig;
  readonly cache: CacheConfig;
  readonly api: ApiConfig;
  /**
   * The API's web ACL; `undefined` means no WAF (AwsSolutions-APIG3 is then acknowledged on the stage).
   * Required, so every environment states its choice.
   */
  readonly waf: WafConfig | undefined;
  readonly synthetics: SyntheticsConfig;
  /**
   * After this environment deploys, a pipeline step watches its alarms this long and fails the
   * execution if any goes to ALARM (lib/pipeline/scripts/bake.ts). Zero: no bake step.
   */
  readonly bakeTime: Duration;
  /** The alarms the bake watches, by name after `<env>-` (not those outside traffic drives). */
  readonly bakeAlarms: readonly string[];
  /**
   * After this environment deploys, a pipeline step runs the integration suite (test/integration/)
   * against its API, with short-lived Cognito users made through a role in its account.
   */
  readonly integrationTests: boolean;
  /** Timeout and reserved concurrency of each API function (lib/config/function-limits.ts). */
  readonly functions: ApiFunctionsConfig;
  /** Sign-in flows and MFA of the user pool (lib/config/function-limits.ts). */
  readonly identity: IdentityConfig;
}

/** Where the pipeline lives and what it watches. */
export interface PipelineConfig {
  readonly account: string;
  readonly region: string;
  readonly pipelineName: string;
  /** `owner/repo` of the CodeConnections source. */
  readonly repository: string;
  readonly branch: string;
  readonly connectionArn: string;
  /** Receives the pipeline's notifications: approval needed, execution failed or succeeded. */
  readonly notificationEmail: string;
}

/** What cdk.json context may set per environment. */
export interface EnvironmentContext {
  readonly account: string;
  readonly region: string;
  readonly availabilityZones: readonly string[];
  readonly alarmEmail: string;
  readonly corsOrigins: readonly string[];
  readonly bastionSshCidr?: string;
}

/** Settings defined in code per environment; `'perAz'` NAT gateways resolve to the number of AZs. */
export type EnvironmentDefaults = Omit<
  EnvironmentConfig,
  keyof EnvironmentContext | 'name' | 'network' | 'api'
> & {
  readonly network: { readonly natGateways: number | 'perAz' };
  readonly api: Omit<ApiConfig, 'corsOrigins'>;
};

const API_THROTTLING = { throttlingRateLimit: 1000, throttlingBurstLimit: 2000 } as const;
/** Staging mirrors prod, so what the firewall blocks is seen before production. */
const API_WAF: WafConfig = { rateLimitPer5Minutes: 2000, perCallerRateLimitPer5Minutes: 600 };
/** Every 5 minutes, as the deployment pipeline reference asks; one failed run in a period alarms. */
const API_SYNTHETICS: SyntheticsConfig = { schedule: Duration.minutes(5), successPercentThreshold: 100 };
/** No bake outside prod: staging's soak is the time until the prod approval. */
const NO_BAKE = Duration.minutes(0);
/** The alarms our own failures drive; not API-WAF-Blocked-Requests, which anyone's junk drives. */
export const DEFAULT_BAKE_ALARMS: readonly string[] = [
  ...['API-5XX-Errors', 'API-High-Latency', 'RDS-High-CPU', 'API-Canary'],
  ...['users', 'products', 'orders', 'authorizer', 'orderEvents'].map((fn) => `Lambda-${fn}-Errors`),
  ...['OrderEvents-DLQ-Not-Empty', 'AlarmNotifications-DLQ-Not-Empty'],
];

export const ENVIRONMENT_DEFAULTS: Record<EnvironmentName, EnvironmentDefaults> = {
  dev: {
    removalPolicy: RemovalPolicy.DESTROY,
    snapshotOnDelete: false,
    deletionProtection: false,
    terminationProtection: false,
    requiresApproval: false,
    deployment: { trafficShifting: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE, rollbackOnAlarm: false },
    logRetention: logs.RetentionDays.ONE_WEEK,
    logLevel: 'DEBUG',
    network: { natGateways: 1 },
    database: {
      instanceClass: ec2.InstanceClass.BURSTABLE3,
      instanceSize: ec2.InstanceSize.MICRO,
      replicaInstanceSize: ec2.InstanceSize.MICRO,
      multiAz: false,
      backupRetention: Duration.days(1),
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      logStatement: 'all',
    },
    cache: { nodeType: 'cache.t3.micro' },
    api: { cachingEnabled: false, cacheTtl: Duration.minutes(5), dataTraceEnabled: true, ...API_THROTTLING },
    // No web ACL in dev: it holds only test data, not worth the ACL's fixed monthly cost (ACL, rules, logs).
    waf: undefined,
    synthetics: API_SYNTHETICS,
    bakeTime: NO_BAKE,
    bakeAlarms: DEFAULT_BAKE_ALARMS,
    // Beta in the deployment pipeline reference: the end-to-end suite runs against dev only.
    integrationTests: true,
    functions: API_FUNCTIONS.dev,
    identity: IDENTITY.dev,
  },
  staging: {
    removalPolicy: RemovalPolicy.DESTROY,
    snapshotOnDelete: true,
    deletionProtection: false,
    terminationProtection: false,
    requiresApproval: false,
    // Gradual like prod, so a bad version is caught (and rolled back) before the approval.
    deployment: {
      trafficShifting: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
      rollbackOnAlarm: true,
    },
    logRetention: logs.RetentionDays.ONE_MONTH,
    logLevel: 'INFO',
    network: { natGateways: 1 },
    database: {
      instanceClass: ec2.InstanceClass.BURSTABLE3,
      instanceSize: ec2.InstanceSize.SMALL,
      replicaInstanceSize: ec2.InstanceSize.SMALL,
      multiAz: true,
      backupRetention: Duration.days(7),
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 1000,
      logStatement: 'ddl',
    },
    cache: { nodeType: 'cache.t3.micro' },
    api: { cachingEnabled: true, cacheTtl: Duration.minutes(5), dataTraceEnabled: false, ...API_THROTTLING },
    waf: API_WAF,
    synthetics: API_SYNTHETICS,
    bakeTime: NO_BAKE,
    bakeAlarms: DEFAULT_BAKE_ALARMS,
    integrationTests: false,
    functions: API_FUNCTIONS.staging,
    identity: IDENTITY.staging,
  },
  prod: {
    removalPolicy: RemovalPolicy.RETAIN,
    snapshotOnDelete: true,
    deletionProtection: true,
    terminationProtection: true,
    requiresApproval: true,
    deployment: {
      trafficShifting: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
      rollbackOnAlarm: true,
    },
    logRetention: logs.RetentionDays.THREE_MONTHS,
    logLevel: 'INFO',
    network: { natGateways: 'perAz' },
    database: {
      // The seed's production sizes: t3.medium primary, t3.small replica.
      instanceClass: ec2.InstanceClass.BURSTABLE3,
      instanceSize: ec2.InstanceSize.MEDIUM,
      replicaInstanceSize: ec2.InstanceSize.SMALL,
      multiAz: true,
      backupRetention: Duration.days(7),
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 1000,
      logStatement: 'ddl',
    },
    cache: { nodeType: 'cache.t3.small' },
    api: { cachingEnabled: true, cacheTtl: Duration.minutes(5), dataTraceEnabled: false, ...API_THROTTLING },
    waf: API_WAF,
    synthetics: API_SYNTHETICS,
    // Prod watches its alarms after the deploy before the execution counts as done.
    bakeTime: Duration.minutes(10),
    bakeAlarms: DEFAULT_BAKE_ALARMS,
    integrationTests: false,
    functions: API_FUNCTIONS.prod,
    identity: IDENTITY.prod,
  },
};
