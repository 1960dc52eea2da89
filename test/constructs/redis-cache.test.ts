import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { REDIS_NODE_COUNT, REDIS_PORT } from '../../lib/config';
import { RedisCache, type RedisCacheProps } from '../../lib/constructs/redis-cache';

function build(overrides: Partial<RedisCacheProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const cache = new RedisCache(stack, 'Cache', {
    vpc,
    securityGroup: new ec2.SecurityGroup(stack, 'CacheSg', { vpc }),
    encryptionKey: new kms.Key(stack, 'Key'),
    nodeType: 'cache.t3.micro',
    removalPolicy: RemovalPolicy.RETAIN,
    snapshotOnDelete: true,
    logRetention: logs.RetentionDays.ONE_MONTH,
    environmentName: 'test',
    ...overrides,
  });
  return { stack, cache, template: Template.fromStack(stack) };
}

describe('RedisCache', () => {
  const { cache, template } = build();

  test('is a replication group with failover across AZs, encrypted at rest and in transit', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: REDIS_NODE_COUNT,
      CacheNodeType: 'cache.t3.micro',
      Port: REDIS_PORT,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
    });
  });

  test('takes its AUTH token from the generated secret by dynamic reference', () => {
    const props = template.findResources('AWS::ElastiCache::ReplicationGroup');
    expect(JSON.stringify(props)).toContain('{{resolve:secretsmanager:');
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'token', ExcludePunctuation: true }),
    });
    expect(cache.authTokenSecret).toBeDefined();
  });

  test('delivers the slow log to a log group with the given retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      LogDeliveryConfigurations: [Match.objectLike({ LogType: 'slow-log', LogFormat: 'json' })],
    });
  });

  test('snapshots on delete when asked to, and is deleted otherwise', () => {
    template.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Snapshot' });
    build({ snapshotOnDelete: false, removalPolicy: RemovalPolicy.DESTROY }).template.hasResource(
      'AWS::ElastiCache::ReplicationGroup',
      { DeletionPolicy: 'Delete' }
    );
  });

  test.each([1, 7, 2.5])('throws when nodeCount is %s', (nodeCount) => {
    expect(() => build({ nodeCount })).toThrow(`nodeCount must be an integer 2..6, got ${nodeCount}`);
  });
});
