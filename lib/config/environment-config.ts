import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';

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
  readonly logRetention: logs.RetentionDays;
  /** Powertools LOG_LEVEL of the Lambda functions. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN';
  readonly alarmEmail: string;
  readonly network: NetworkConfig;
  readonly database: DatabaseConfig;
  readonly cache: CacheConfig;
  readonly api: ApiConfig;
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

export const ENVIRONMENT_DEFAULTS: Record<EnvironmentName, EnvironmentDefaults> = {
  dev: {
    removalPolicy: RemovalPolicy.DESTROY,
    snapshotOnDelete: false,
    deletionProtection: false,
    terminationProtection: false,
    requiresApproval: false,
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
  },
  staging: {
    removalPolicy: RemovalPolicy.DESTROY,
    snapshotOnDelete: true,
    deletionProtection: false,
    terminationProtection: false,
    requiresApproval: false,
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
  },
  prod: {
    removalPolicy: RemovalPolicy.RETAIN,
    snapshotOnDelete: true,
    deletionProtection: true,
    terminationProtection: true,
    requiresApproval: true,
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
  },
};
