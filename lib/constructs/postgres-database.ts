import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  DATABASE_BACKUP_WINDOW,
  DATABASE_MAINTENANCE_WINDOW,
  DATABASE_MONITORING_INTERVAL_SECONDS,
  DATABASE_NAME,
  DATABASE_PASSWORD_EXCLUDED_CHARACTERS,
  DATABASE_SLOW_STATEMENT_MS,
  DATABASE_USERNAME,
  type DatabaseConfig,
  POSTGRES_PORT,
} from '../config';
import { keepParentLogicalIds } from './logical-ids';
import { controlTowerRule } from '../config/rule-packs';

/** A currently supported PostgreSQL major; minor upgrades are applied by RDS in the maintenance window. */
export const POSTGRES_ENGINE = rds.DatabaseInstanceEngine.postgres({
  version: rds.PostgresEngineVersion.VER_17,
});
/** Exported PostgreSQL logs are kept one month, whatever the environment. */
const DATABASE_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;
export const SECRET_ROTATION_INTERVAL = Duration.days(30);
const ISOLATED: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
const ENHANCED_MONITORING_POLICY = 'service-role/AmazonRDSEnhancedMonitoringRole';
/** Construct id of CDK's singleton LogRetention function (fixed by aws-cdk-lib). */
const LOG_RETENTION_FUNCTION_ID = 'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a';
/** Why the engine's default port stays (AwsSolutions-RDS11, AwsSolutions-AEC5). */
export const DEFAULT_PORT_REASON =
  'The seed design keeps the engine default port; access is limited by security groups in isolated subnets.';

/** The server log and the major-version upgrade log (CT.RDS.PR.14 wants both for PostgreSQL). */
const POSTGRES_LOG_EXPORTS = ['postgresql', 'upgrade'];
/** The backup retention below which AWS Control Tower (CT.RDS.PR.8) flags an instance. */
const CONTROL_TOWER_MIN_BACKUP_DAYS = 7;

export interface PostgresDatabaseProps {
  /** Both instances and the rotation function sit in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Of both instances: allows PostgreSQL from the app tier; gains an ingress rule for the rotation. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts the storage, Performance Insights and the credentials secret. */
  readonly encryptionKey: kms.IKey;
  /** Instance classes, storage, backups, Multi-AZ and statement logging. */
  readonly settings: DatabaseConfig;
  /** Of the credentials secret and the read replica. */
  readonly removalPolicy: RemovalPolicy;
  /** The primary takes a final snapshot and keeps its automated backups when deleted. */
  readonly snapshotOnDelete: boolean;
  readonly deletionProtection: boolean;
  /** Names the environment in the reasons of its acknowledged findings. */
  readonly environmentName: string;
}

/**
 * RDS PostgreSQL: a KMS-encrypted primary and a read replica in the isolated subnets, credentials
 * generated into Secrets Manager and rotated by a hosted rotation function, enhanced monitoring,
 * Performance Insights and exported logs.
 */
export class PostgresDatabase extends Construct {
  public readonly secret: rds.DatabaseSecret;
  public readonly primary: rds.DatabaseInstance;
  public readonly readReplica: rds.DatabaseInstanceReadReplica;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    keepParentLogicalIds(this);
    const { vpc, settings } = props;
    if (settings.maxAllocatedStorageGiB < settings.allocatedStorageGiB) {
      throw new Error(
        `maxAllocatedStorageGiB must be at least allocatedStorageGiB (${settings.allocatedStorageGiB}), ` +
          `got ${settings.maxAllocatedStorageGiB}`
      );
    }

    // Created here (not through Credentials.fromGeneratedSecret) so its removal policy is ours.
    this.secret = new rds.DatabaseSecret(this, 'DatabaseSecret', {
      username: DATABASE_USERNAME,
      excludeCharacters: DATABASE_PASSWORD_EXCLUDED_CHARACTERS,
      encryptionKey: props.encryptionKey,
    });
    this.secret.applyRemovalPolicy(props.removalPolicy);

    const subnetGroup = new rds.SubnetGroup(this, 'DatabaseSubnetGroup', {
      description: 'Isolated subnets for RDS',
      vpc,
      vpcSubnets: ISOLATED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'DatabaseParameterGroup', {
      engine: POSTGRES_ENGINE,
      description: 'PostgreSQL parameters: statement statistics, slow-statement and lock logging',
      parameters: {
        shared_preload_libraries: 'pg_stat_statements',
        log_statement: settings.logStatement,
        log_min_duration_statement: String(DATABASE_SLOW_STATEMENT_MS),
        log_checkpoints: 'on',
        log_lock_waits: 'on',
        // Clients must use TLS.
        'rds.force_ssl': '1',
      },
    });

    const monitoringInterval = Duration.seconds(DATABASE_MONITORING_INTERVAL_SECONDS);
    // One enhanced-monitoring role for both instances.
    const monitoringRole = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(ENHANCED_MONITORING_POLICY)],
    });
    Validations.of(monitoringRole).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${ENHANCED_MONITORING_POLICY}]`,
      reason:
        'The AWS-maintained policy that RDS enhanced monitoring documents; it only writes to RDSOSMetrics logs.',
    });
    this.primary = new rds.DatabaseInstance(this, 'PrimaryDatabase', {
      engine: POSTGRES_ENGINE,
      instanceType: ec2.InstanceType.of(settings.instanceClass, settings.instanceSize),
      credentials: rds.Credentials.fromSecret(this.secret),
      vpc,
      subnetGroup,
      securityGroups: [props.securityGroup],
      databaseName: DATABASE_NAME,
      port: POSTGRES_PORT,
      parameterGroup,
      // CDK omits PubliclyAccessible when a subnet group is passed, and the VPC has an internet
      // gateway: say it.
      publiclyAccessible: false,
      iamAuthentication: true,
      allocatedStorage: settings.allocatedStorageGiB,
      maxAllocatedStorage: settings.maxAllocatedStorageGiB,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      backupRetention: settings.backupRetention,
      preferredBackupWindow: DATABASE_BACKUP_WINDOW,
      preferredMaintenanceWindow: DATABASE_MAINTENANCE_WINDOW,
      autoMinorVersionUpgrade: true,
      multiAz: settings.multiAz,
      monitoringInterval,
      monitoringRole,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.encryptionKey,
      cloudwatchLogsExports: POSTGRES_LOG_EXPORTS,
      cloudwatchLogsRetention: DATABASE_LOG_RETENTION,
      deletionProtection: props.deletionProtection,
      deleteAutomatedBackups: !props.snapshotOnDelete,
      // RDS supports SNAPSHOT; the other resources follow the environment's policy.
      removalPolicy: props.snapshotOnDelete ? RemovalPolicy.SNAPSHOT : props.removalPolicy,
    });
    Validations.of(this.primary).acknowledge(
      { id: 'AwsSolutions-RDS11', reason: DEFAULT_PORT_REASON },
      { id: controlTowerRule('rds_instance_no_default_ports_check'), reason: DEFAULT_PORT_REASON }
    );
    if (settings.backupRetention.toDays() < CONTROL_TOWER_MIN_BACKUP_DAYS) {
      Validations.of(this.primary).acknowledge({
        id: controlTowerRule('rds_instance_backup_enabled_check'),
        reason: `${props.environmentName} keeps ${settings.backupRetention.toDays()} day(s) of backups by design (cost); staging and prod keep ${CONTROL_TOWER_MIN_BACKUP_DAYS} or more.`,
      });
    }
    this.acknowledgeLogRetentionFunction();

    this.addRotation(props);

    this.readReplica = new rds.DatabaseInstanceReadReplica(this, 'ReadReplica', {
      sourceDatabaseInstance: this.primary,
      instanceType: ec2.InstanceType.of(settings.instanceClass, settings.replicaInstanceSize),
      vpc,
      vpcSubnets: ISOLATED,
      securityGroups: [props.securityGroup],
      port: POSTGRES_PORT,
      multiAz: settings.multiAz,
      autoMinorVersionUpgrade: true,
      monitoringInterval,
      monitoringRole,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.encryptionKey,
      cloudwatchLogsExports: POSTGRES_LOG_EXPORTS,
      cloudwatchLogsRetention: DATABASE_LOG_RETENTION,
      deletionProtection: props.deletionProtection,
      // A replica cannot take a final snapshot; the primary holds the data.
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.readReplica).acknowledge(
      { id: 'AwsSolutions-RDS11', reason: DEFAULT_PORT_REASON },
      {
        id: 'AwsSolutions-RDS2',
        reason: 'A read replica inherits the encryption (and KMS key) of its encrypted source instance.',
      },
      {
        id: 'AwsSolutions-RDS13',
        reason: 'Backups are taken from the primary; a read replica holds no own backups.',
      }
    );
    const instances = [this.primary, this.readReplica];
    if (!settings.multiAz) {
      const reason = `Single-AZ by design in ${props.environmentName} to save cost; staging and prod run Multi-AZ.`;
      for (const instance of instances)
        Validations.of(instance).acknowledge({ id: 'AwsSolutions-RDS3', reason });
      Validations.of(this.primary).acknowledge({
        id: controlTowerRule('rds_instance_multi_az_support_check'),
        reason,
      });
    }
    if (!props.deletionProtection) {
      const reason = `${props.environmentName} is destroyable by design; prod enables deletion protection.`;
      for (const instance of instances)
        Validations.of(instance).acknowledge({ id: 'AwsSolutions-RDS10', reason });
      Validations.of(this.primary).acknowledge({
        id: controlTowerRule('rds_instance_deletion_protection_enabled_check'),
        reason,
      });
    }
  }

  /**
   * Hosted rotation with its own security group, so the ingress rule it needs lives in this
   * stack: adding it to the networking stack's SG would make a cross-stack cycle.
   */
  private addRotation(props: PostgresDatabaseProps): void {
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'SecretRotationSecurityGroup', {
      vpc: props.vpc,
      description: 'Secrets Manager rotation function for the database secret',
      allowAllOutbound: true,
    });
    this.secret.addRotationSchedule('Rotation', {
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
        vpc: props.vpc,
        vpcSubnets: ISOLATED,
        securityGroups: [rotationSecurityGroup],
      }),
      automaticallyAfter: SECRET_ROTATION_INTERVAL,
    });
    new ec2.CfnSecurityGroupIngress(this, 'DatabaseIngressFromRotation', {
      groupId: props.securityGroup.securityGroupId,
      sourceSecurityGroupId: rotationSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'Secrets Manager rotation of the database password',
    });
  }

  /** `cloudwatchLogsRetention` makes CDK add its LogRetention function; its role is CDK's, not ours. */
  private acknowledgeLogRetentionFunction(): void {
    const fn = Stack.of(this).node.tryFindChild(LOG_RETENTION_FUNCTION_ID);
    if (!fn) return;
    Validations.of(fn).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's LogRetention function (sets retention on the RDS-created log group) uses the basic execution role.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'LogRetention must set retention on a log group RDS creates later, whose ARN is unknown at deploy time.',
      }
    );
  }
}
