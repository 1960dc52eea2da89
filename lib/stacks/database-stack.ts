import { CfnOutput } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type Construct } from 'constructs';
import { denyGrantsExceptForAwsResources } from '../constructs/key-policy';
import { PostgresDatabase } from '../constructs/postgres-database';
import { RedisCache } from '../constructs/redis-cache';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';

export interface DatabaseStackProps extends EnvironmentStackProps {
  readonly vpc: ec2.IVpc;
  /** Allows PostgreSQL from the app tier only. */
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  /** Allows Redis from the app tier only. */
  readonly cacheSecurityGroup: ec2.ISecurityGroup;
}

/**
 * The data stores, in the isolated subnets and encrypted with one key: RDS PostgreSQL (primary +
 * read replica, rotated credentials) and an ElastiCache Redis replication group.
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

    this.encryptionKey = new kms.Key(this, 'DatabaseKey', {
      description: `Encrypts the ${config.name} database, its secrets, logs and cache`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    denyGrantsExceptForAwsResources(this.encryptionKey);

    const postgres = new PostgresDatabase(this, 'Postgres', {
      vpc,
      securityGroup: props.databaseSecurityGroup,
      encryptionKey: this.encryptionKey,
      settings: config.database,
      removalPolicy: config.removalPolicy,
      snapshotOnDelete: config.snapshotOnDelete,
      deletionProtection: config.deletionProtection,
      environmentName: config.name,
    });
    this.databaseSecret = postgres.secret;
    this.database = postgres.primary;
    this.readReplica = postgres.readReplica;

    const cache = new RedisCache(this, 'Cache', {
      vpc,
      securityGroup: props.cacheSecurityGroup,
      encryptionKey: this.encryptionKey,
      nodeType: config.cache.nodeType,
      removalPolicy: config.removalPolicy,
      snapshotOnDelete: config.snapshotOnDelete,
      logRetention: config.logRetention,
      environmentName: config.name,
    });
    this.redisAuthSecret = cache.authTokenSecret;
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
}
