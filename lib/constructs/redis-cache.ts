import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  REDIS_AUTH_TOKEN_LENGTH,
  REDIS_ENGINE_VERSION,
  REDIS_MAINTENANCE_WINDOW,
  REDIS_NODE_COUNT,
  REDIS_PARAMETER_FAMILY,
  REDIS_PORT,
  REDIS_SNAPSHOT_RETENTION_DAYS,
  REDIS_SNAPSHOT_WINDOW,
} from '../config';
import { keepParentLogicalIds } from './logical-ids';
import { DEFAULT_PORT_REASON } from './postgres-database';
import { controlTowerRule } from '../config/rule-packs';

/** Automatic failover and Multi-AZ need a replica; a replication group holds at most 5 replicas. */
const MIN_NODES = 2;
const MAX_NODES = 6;

export interface RedisCacheProps {
  /** The nodes sit in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Allows Redis from the app tier only. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts the data at rest and the AUTH token secret. */
  readonly encryptionKey: kms.IKey;
  /** ElastiCache node type, e.g. `cache.t3.micro`. */
  readonly nodeType: string;
  /** Primary plus replicas. @default REDIS_NODE_COUNT */
  readonly nodeCount?: number;
  /** Of the AUTH token secret and the slow-log group. */
  readonly removalPolicy: RemovalPolicy;
  /** The replication group takes a final snapshot when deleted. */
  readonly snapshotOnDelete: boolean;
  readonly logRetention: logs.RetentionDays;
  /** Names the environment in the secret's description. */
  readonly environmentName: string;
}

/**
 * An ElastiCache Redis replication group in the isolated subnets: encrypted at rest and in transit,
 * an AUTH token generated in Secrets Manager, automatic failover across AZs, daily snapshots and
 * the slow log delivered to CloudWatch Logs.
 */
export class RedisCache extends Construct {
  public readonly authTokenSecret: secretsmanager.Secret;
  public readonly replicationGroup: elasticache.CfnReplicationGroup;

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);
    keepParentLogicalIds(this);
    const nodeCount = props.nodeCount ?? REDIS_NODE_COUNT;
    if (!Number.isInteger(nodeCount) || nodeCount < MIN_NODES || nodeCount > MAX_NODES) {
      throw new Error(`nodeCount must be an integer ${MIN_NODES}..${MAX_NODES}, got ${nodeCount}`);
    }

    // ElastiCache accepts only `! & # $ ^ < > -` as specials: letters and digits are safe.
    this.authTokenSecret = new secretsmanager.Secret(this, 'RedisAuthToken', {
      description: `AUTH token of the ${props.environmentName} Redis replication group`,
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        excludePunctuation: true,
        passwordLength: REDIS_AUTH_TOKEN_LENGTH,
      },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.authTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating an ElastiCache AUTH token needs a custom rotation function with the ROTATE/SET strategy; ' +
        'the token is only reachable from the app tier inside the isolated subnets.',
    });

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'CacheSubnetGroup', {
      description: 'Isolated subnets for ElastiCache',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    const parameterGroup = new elasticache.CfnParameterGroup(this, 'CacheParameterGroup', {
      cacheParameterGroupFamily: REDIS_PARAMETER_FAMILY,
      description: 'Redis: evict least-recently-used keys, close idle clients',
      properties: { 'maxmemory-policy': 'allkeys-lru', timeout: '300' },
    });
    const slowLogGroup = new logs.LogGroup(this, 'RedisSlowLogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'RedisCluster', {
      replicationGroupDescription: 'Redis cluster for application caching',
      numCacheClusters: nodeCount,
      cacheNodeType: props.nodeType,
      engine: 'redis',
      engineVersion: REDIS_ENGINE_VERSION,
      port: REDIS_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [props.securityGroup.securityGroupId],
      cacheParameterGroupName: parameterGroup.ref,
      atRestEncryptionEnabled: true,
      kmsKeyId: props.encryptionKey.keyArn,
      transitEncryptionEnabled: true,
      // Renders a {{resolve:secretsmanager:...}} dynamic reference, never the value.
      authToken: this.authTokenSecret.secretValueFromJson('token').unsafeUnwrap(),
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
    this.replicationGroup.applyRemovalPolicy(
      props.snapshotOnDelete ? RemovalPolicy.SNAPSHOT : props.removalPolicy
    );
    Validations.of(this.replicationGroup).acknowledge(
      { id: 'AwsSolutions-AEC5', reason: DEFAULT_PORT_REASON },
      {
        id: controlTowerRule('elasticache_repl_grp_rbac_auth_enabled_check'),
        reason:
          'Redis AUTH with a generated token from Secrets Manager over TLS, in isolated subnets behind a ' +
          'security group; no application uses the cache yet, so RBAC users have no one to distinguish.',
      }
    );
  }
}
