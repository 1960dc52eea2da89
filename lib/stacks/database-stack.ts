import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type Construct } from 'constructs';
import {
  DATABASE_BACKUP_WINDOW,
  DATABASE_MAINTENANCE_WINDOW,
  DATABASE_MONITORING_INTERVAL_SECONDS,
  DATABASE_NAME,
  DATABASE_PASSWORD_EXCLUDED_CHARACTERS,
  DATABASE_SLOW_STATEMENT_MS,
  DATABASE_USERNAME,
  POSTGRES_PORT,
  REDIS_AUTH_TOKEN_LENGTH,
  REDIS_ENGINE_VERSION,
  REDIS_MAINTENANCE_WINDOW,
  REDIS_NODE_COUNT,
  REDIS_PARAMETER_FAMILY,
  REDIS_PORT,
  REDIS_SNAPSHOT_RETENTION_DAYS,
  REDIS_SNAPSHOT_WINDOW,
} from '../config';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';

export interface DatabaseStackProps extends EnvironmentStackProps {
  readonly vpc: ec2.IVpc;
  /** Allows PostgreSQL from the app tier only. */
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  /** Allows Redis from the app tier only. */
  readonly cacheSecurityGroup: ec2.ISecurityGroup;
}

/** A currently supported PostgreSQL major; minor upgrades are applied by RDS in the maintenance window. */
export const POSTGRES_ENGINE = rds.DatabaseInstanceEngine.postgres({
  version: rds.PostgresEngineVersion.VER_17,
});
/** Exported PostgreSQL logs are kept one month, whatever the environment. */
const DATABASE_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;
const ISOLATED: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
const ENHANCED_MONITORING_POLICY = 'service-role/AmazonRDSEnhancedMonitoringRole';
/** Construct id of CDK's singleton LogRetention function (fixed by aws-cdk-lib). */
const LOG_RETENTION_FUNCTION_ID = 'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a';
const PORT_REASON =
  'The seed design keeps the engine default port; access is limited by security groups in isolated subnets.';

/**
 * RDS PostgreSQL (primary + read replica, KMS-encrypted, credentials in Secrets Manager with
 * rotation) and an ElastiCache Redis replication group (AUTH token generated in Secrets Manager),
 * both in the isolated subnets.
 */
export class DatabaseStack extends EnvironmentStack {
  public readonly encryptionKey: kms.Key;
  public readonly databaseSecret: rds.DatabaseSecret;
  public readonly database: rds.DatabaseInstance;
  public readonly readReplica: rds.DatabaseInstanceReadReplica;
  public readonly redisAuthSecret: secretsmanager.Secret;
  public readonly redis: elasticache.CfnReplicationGroup;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;
    const dbConfig = config.database;
    // RDS supports SNAPSHOT; other stateful resources follow the environment's policy.
    const instanceRemoval = config.snapshotOnDelete ? RemovalPolicy.SNAPSHOT : config.removalPolicy;

    this.encryptionKey = new kms.Key(this, 'DatabaseKey', {
      description: `Encrypts the ${config.name} database, its secrets, logs and cache`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });

    // Created here (not through Credentials.fromGeneratedSecret) so its removal policy is ours.
    this.databaseSecret = new rds.DatabaseSecret(this, 'DatabaseSecret', {
      username: DATABASE_USERNAME,
      excludeCharacters: DATABASE_PASSWORD_EXCLUDED_CHARACTERS,
      encryptionKey: this.encryptionKey,
    });
    this.databaseSecret.applyRemovalPolicy(config.removalPolicy);

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
        log_statement: dbConfig.logStatement,
        log_min_duration_statement: String(DATABASE_SLOW_STATEMENT_MS),
        log_checkpoints: 'on',
        log_lock_waits: 'on',
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
    this.database = new rds.DatabaseInstance(this, 'PrimaryDatabase', {
      engine: POSTGRES_ENGINE,
      instanceType: ec2.InstanceType.of(dbConfig.instanceClass, dbConfig.instanceSize),
      credentials: rds.Credentials.fromSecret(this.databaseSecret),
      vpc,
      subnetGroup,
      securityGroups: [props.databaseSecurityGroup],
      databaseName: DATABASE_NAME,
      port: POSTGRES_PORT,
      parameterGroup,
      allocatedStorage: dbConfig.allocatedStorageGiB,
      maxAllocatedStorage: dbConfig.maxAllocatedStorageGiB,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      backupRetention: dbConfig.backupRetention,
      preferredBackupWindow: DATABASE_BACKUP_WINDOW,
      preferredMaintenanceWindow: DATABASE_MAINTENANCE_WINDOW,
      autoMinorVersionUpgrade: true,
      multiAz: dbConfig.multiAz,
      monitoringInterval,
      monitoringRole,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.encryptionKey,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: DATABASE_LOG_RETENTION,
      deletionProtection: config.deletionProtection,
      deleteAutomatedBackups: !config.snapshotOnDelete,
      removalPolicy: instanceRemoval,
    });
    Validations.of(this.database).acknowledge({ id: 'AwsSolutions-RDS11', reason: PORT_REASON });
    this.acknowledgeLogRetentionFunction();

    // Hosted rotation with its own security group, so the ingress rule it needs lives in this
    // stack: adding it to the networking stack's SG would make a cross-stack cycle.
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'SecretRotationSecurityGroup', {
      vpc,
      description: 'Secrets Manager rotation function for the database secret',
      allowAllOutbound: true,
    });
    this.databaseSecret.addRotationSchedule('Rotation', {
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
        vpc,
        vpcSubnets: ISOLATED,
        securityGroups: [rotationSecurityGroup],
      }),
      automaticallyAfter: Duration.days(30),
    });
    new ec2.CfnSecurityGroupIngress(this, 'DatabaseIngressFromRotation', {
      groupId: props.databaseSecurityGroup.securityGroupId,
      sourceSecurityGroupId: rotationSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'Secrets Manager rotation of the database password',
    });

    this.readReplica = new rds.DatabaseInstanceReadReplica(this, 'ReadReplica', {
      sourceDatabaseInstance: this.database,
      instanceType: ec2.InstanceType.of(dbConfig.instanceClass, dbConfig.replicaInstanceSize),
      vpc,
      vpcSubnets: ISOLATED,
      securityGroups: [props.databaseSecurityGroup],
      port: POSTGRES_PORT,
      multiAz: dbConfig.multiAz,
      autoMinorVersionUpgrade: true,
      monitoringInterval,
      monitoringRole,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.encryptionKey,
      deletionProtection: config.deletionProtection,
      // A replica cannot take a final snapshot; the primary holds the data.
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.readReplica).acknowledge(
      { id: 'AwsSolutions-RDS11', reason: PORT_REASON },
      {
        id: 'AwsSolutions-RDS2',
        reason: 'A read replica inherits the encryption (and KMS key) of its encrypted source instance.',
      },
      {
        id: 'AwsSolutions-RDS13',
        reason: 'Backups are taken from the primary; a read replica holds no own backups.',
      }
    );
    if (!dbConfig.multiAz) {
      for (const instance of [this.database, this.readReplica]) {
        Validations.of(instance).acknowledge({
          id: 'AwsSolutions-RDS3',
          reason: `Single-AZ by design in ${config.name} to save cost; staging and prod run Multi-AZ.`,
        });
      }
    }
    if (!config.deletionProtection) {
      for (const instance of [this.database, this.readReplica]) {
        Validations.of(instance).acknowledge({
          id: 'AwsSolutions-RDS10',
          reason: `${config.name} is destroyable by design; prod enables deletion protection.`,
        });
      }
    }

    const cache = this.createRedis(props);
    this.redisAuthSecret = cache.secret;
    this.redis = cache.replicationGroup;

    new CfnOutput(this, 'DatabaseEndpoint', {
      value: this.database.instanceEndpoint.hostname,
      description: 'Primary database endpoint',
    });
    new CfnOutput(this, 'DatabaseSecretArn', {
      value: this.databaseSecret.secretArn,
      description: 'Database credentials secret ARN',
    });
    new CfnOutput(this, 'ReadReplicaEndpoint', {
      value: this.readReplica.instanceEndpoint.hostname,
      description: 'Read replica endpoint',
    });
    new CfnOutput(this, 'RedisEndpoint', {
      value: this.redis.attrPrimaryEndPointAddress,
      description: 'Redis primary endpoint',
    });
  }

  /** `cloudwatchLogsRetention` makes CDK add its LogRetention function; its role is CDK's, not ours. */
  private acknowledgeLogRetentionFunction(): void {
    const fn = this.node.tryFindChild(LOG_RETENTION_FUNCTION_ID);
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

  private createRedis(props: DatabaseStackProps): {
    secret: secretsmanager.Secret;
    replicationGroup: elasticache.CfnReplicationGroup;
  } {
    const { config, vpc } = props;

    // ElastiCache accepts only `! & # $ ^ < > -` as specials: letters and digits are safe.
    const secret = new secretsmanager.Secret(this, 'RedisAuthToken', {
      description: `AUTH token of the ${config.name} Redis replication group`,
      encryptionKey: this.encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        excludePunctuation: true,
        passwordLength: REDIS_AUTH_TOKEN_LENGTH,
      },
      removalPolicy: config.removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating an ElastiCache AUTH token needs a custom rotation function with the ROTATE/SET strategy; ' +
        'the token is only reachable from the app tier inside the isolated subnets.',
    });

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'CacheSubnetGroup', {
      description: 'Isolated subnets for ElastiCache',
      subnetIds: vpc.selectSubnets(ISOLATED).subnetIds,
    });
    const parameterGroup = new elasticache.CfnParameterGroup(this, 'CacheParameterGroup', {
      cacheParameterGroupFamily: REDIS_PARAMETER_FAMILY,
      description: 'Redis: evict least-recently-used keys, close idle clients',
      properties: { 'maxmemory-policy': 'allkeys-lru', timeout: '300' },
    });
    const slowLogGroup = new logs.LogGroup(this, 'RedisSlowLogGroup', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    const replicationGroup = new elasticache.CfnReplicationGroup(this, 'RedisCluster', {
      replicationGroupDescription: 'Redis cluster for application caching',
      numCacheClusters: REDIS_NODE_COUNT,
      cacheNodeType: config.cache.nodeType,
      engine: 'redis',
      engineVersion: REDIS_ENGINE_VERSION,
      port: REDIS_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [props.cacheSecurityGroup.securityGroupId],
      cacheParameterGroupName: parameterGroup.ref,
      atRestEncryptionEnabled: true,
      kmsKeyId: this.encryptionKey.keyArn,
      transitEncryptionEnabled: true,
      // Renders a {{resolve:secretsmanager:...}} dynamic reference, never the value.
      authToken: secret.secretValueFromJson('token').unsafeUnwrap(),
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      snapshotRetentionLimit: REDIS_SNAPSHOT_RETENTION_DAYS,
      snapshotWindow: REDIS_SNAPSHOT_WINDOW,
      preferredMaintenanceWindow: REDIS_MAINTENANCE_WINDOW,
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: slowLogGroup.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    });
    // No explicit dependencies needed: the group references both by Ref.
    replicationGroup.applyRemovalPolicy(
      config.snapshotOnDelete ? RemovalPolicy.SNAPSHOT : config.removalPolicy
    );
    Validations.of(replicationGroup).acknowledge({ id: 'AwsSolutions-AEC5', reason: PORT_REASON });

    return { secret, replicationGroup };
  }
}
