import { Match } from 'aws-cdk-lib/assertions';
import { DATABASE_NAME, DATABASE_USERNAME, POSTGRES_PORT, REDIS_PORT } from '../../lib/config';
import { stageTemplate } from '../support/templates';

// Templates only: read from the stage app the global setup synthesized for this run.
const dev = stageTemplate('dev', 'Database');
const staging = stageTemplate('staging', 'Database');
const prod = stageTemplate('prod', 'Database');

type Template = typeof dev;

function resourcesOfType(template: Template, type: string) {
  return Object.entries(
    template.toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string; Properties: Record<string, unknown> }
    >
  ).filter(([, r]) => r.Type === type);
}

const primary = (t: Template) =>
  resourcesOfType(t, 'AWS::RDS::DBInstance').find(([id]) => id.startsWith('PrimaryDatabase'))![1];
const replica = (t: Template) =>
  resourcesOfType(t, 'AWS::RDS::DBInstance').find(([id]) => id.startsWith('ReadReplica'))![1];

describe('primary PostgreSQL instance', () => {
  test('runs a supported PostgreSQL major on port 5432 with database appdb', () => {
    expect(primary(prod).Properties).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '17',
      DBName: DATABASE_NAME,
      Port: String(POSTGRES_PORT),
    });
  });

  test('stores on gp3, 100 GB autoscaling to 1000 GB in prod, encrypted with the stack key', () => {
    expect(primary(prod).Properties).toMatchObject({
      StorageType: 'gp3',
      AllocatedStorage: '100',
      MaxAllocatedStorage: 1000,
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseKey/), 'Arn'] },
    });
  });

  test('backs up in 03:00-04:00 and is maintained Sun 04:00-05:00 with minor upgrades', () => {
    expect(primary(prod).Properties).toMatchObject({
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '03:00-04:00',
      PreferredMaintenanceWindow: 'Sun:04:00-Sun:05:00',
      AutoMinorVersionUpgrade: true,
    });
  });

  test('has 60 s enhanced monitoring, encrypted Performance Insights and exports the server and upgrade logs', () => {
    expect(primary(prod).Properties).toMatchObject({
      MonitoringInterval: 60,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseKey/), 'Arn'] },
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    prod.hasResourceProperties('Custom::LogRetention', { RetentionInDays: 30 });
  });

  test('sizes by environment: prod t3.medium Multi-AZ, dev t3.micro single-AZ', () => {
    expect(primary(prod).Properties).toMatchObject({ DBInstanceClass: 'db.t3.medium', MultiAZ: true });
    expect(primary(staging).Properties).toMatchObject({ MultiAZ: true });
    expect(primary(dev).Properties).toMatchObject({ DBInstanceClass: 'db.t3.micro', MultiAZ: false });
  });

  test('prod is deletion-protected and snapshotted on delete; dev is destroyable', () => {
    expect(primary(prod)).toMatchObject({
      DeletionPolicy: 'Snapshot',
      Properties: { DeletionProtection: true },
    });
    expect(primary(dev)).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: { DeletionProtection: false },
    });
  });

  test('sits in the isolated subnets behind the database SG', () => {
    const subnetGroup = resourcesOfType(dev, 'AWS::RDS::DBSubnetGroup')[0]![1];
    expect(subnetGroup.Properties.SubnetIds).toHaveLength(3);
    expect(JSON.stringify(subnetGroup.Properties.SubnetIds)).toMatch(
      /MainVPCDatabaseSubnet1.*Subnet2.*Subnet3/
    );
    expect(JSON.stringify(primary(dev).Properties.VPCSecurityGroups)).toContain('DatabaseSecurityGroup');
  });

  test('parameter group: pg_stat_statements, slow statements at 1000 ms, checkpoints, lock waits', () => {
    for (const [template, logStatement] of [
      [dev, 'all'],
      [staging, 'ddl'],
      [prod, 'ddl'],
    ] as const) {
      template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Family: 'postgres17',
        Parameters: {
          shared_preload_libraries: 'pg_stat_statements',
          log_statement: logStatement,
          log_min_duration_statement: '1000',
          log_checkpoints: 'on',
          log_lock_waits: 'on',
        },
      });
    }
  });
});

describe('credentials', () => {
  test('are generated into Secrets Manager as dbadmin, without connection-string characters, encrypted with the key', () => {
    prod.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ username: DATABASE_USERNAME }),
        GenerateStringKey: 'password',
        ExcludeCharacters: '/@"\'\\;',
      }),
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
    });
  });

  test('rotate every 30 days through a hosted rotation function', () => {
    prod.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      HostedRotationLambda: Match.objectLike({ RotationType: 'PostgreSQLSingleUser' }),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('the rotation function reaches PostgreSQL through its own SG (no cross-stack cycle)', () => {
    prod.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: POSTGRES_PORT,
      ToPort: POSTGRES_PORT,
      SourceSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^SecretRotationSecurityGroup'), 'GroupId'],
      },
    });
  });

  test('the KMS key rotates', () => {
    prod.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('read replica', () => {
  test('replicates the primary on a smaller class in the isolated subnets behind the same SG', () => {
    expect(replica(prod).Properties).toMatchObject({
      DBInstanceClass: 'db.t3.small',
      SourceDBInstanceIdentifier: expect.anything(),
      Port: String(POSTGRES_PORT),
      MonitoringInterval: 60,
      EnablePerformanceInsights: true,
    });
    expect(replica(prod).Properties.BackupRetentionPeriod).toBeUndefined();
    expect(JSON.stringify(replica(prod).Properties.VPCSecurityGroups)).toContain('DatabaseSecurityGroup');
    expect(JSON.stringify(replica(prod).Properties.DBSubnetGroupName)).toMatch(/ReadReplicaSubnetGroup/);
  });

  test('is retained and deletion-protected in prod only', () => {
    expect(replica(prod)).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { DeletionProtection: true },
    });
    expect(replica(dev)).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: { DeletionProtection: false },
    });
  });
});

describe('Redis', () => {
  const redis = (t: Template) => resourcesOfType(t, 'AWS::ElastiCache::ReplicationGroup')[0]![1];

  test('is a primary + replica with failover and Multi-AZ on port 6379 behind the cache SG', () => {
    expect(redis(prod).Properties).toMatchObject({
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      Engine: 'redis',
      Port: REDIS_PORT,
    });
    expect(JSON.stringify(redis(prod).Properties.SecurityGroupIds)).toMatch(/CacheSecurityGroup/);
  });

  test('encrypts at rest with the key and in transit', () => {
    expect(redis(prod).Properties).toMatchObject({
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseKey/), 'Arn'] },
    });
  });

  test('takes its AUTH token from a generated Secrets Manager secret by dynamic reference', () => {
    const authToken = JSON.stringify(redis(prod).Properties.AuthToken);
    expect(authToken).toMatch(/\{\{resolve:secretsmanager:/);
    expect(authToken).toMatch(/RedisAuthToken/);
    expect(authToken).toMatch(/:SecretString:token::\}\}/);
    prod.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{}',
        GenerateStringKey: 'token',
        ExcludePunctuation: true,
        PasswordLength: 64,
      },
    });
  });

  test('keeps snapshots 5 days in 03:00-05:00 and is maintained sun:05:00-06:00', () => {
    expect(redis(prod).Properties).toMatchObject({
      SnapshotRetentionLimit: 5,
      SnapshotWindow: '03:00-05:00',
      PreferredMaintenanceWindow: 'sun:05:00-sun:06:00',
    });
  });

  test('uses the isolated subnets and an LRU parameter group on the redis7 family', () => {
    const subnetGroup = resourcesOfType(prod, 'AWS::ElastiCache::SubnetGroup')[0]![1];
    expect(JSON.stringify(subnetGroup.Properties.SubnetIds)).toMatch(
      /MainVPCDatabaseSubnet1.*Subnet2.*Subnet3/
    );
    prod.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      CacheParameterGroupFamily: 'redis7',
      Properties: { 'maxmemory-policy': 'allkeys-lru', timeout: '300' },
    });
  });

  test('delivers the slow log as JSON to a log group this stack creates', () => {
    expect(redis(prod).Properties.LogDeliveryConfigurations).toEqual([
      {
        DestinationType: 'cloudwatch-logs',
        DestinationDetails: {
          CloudWatchLogsDetails: { LogGroup: { Ref: expect.stringMatching(/^RedisSlowLogGroup/) } },
        },
        LogFormat: 'json',
        LogType: 'slow-log',
      },
    ]);
  });

  test('is snapshotted on delete in prod and deleted in dev', () => {
    expect(redis(prod).DeletionPolicy).toBe('Snapshot');
    expect(redis(dev).DeletionPolicy).toBe('Delete');
  });
});

test('prod retains the key, both secrets and the log groups; dev deletes them', () => {
  for (const type of ['AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
    const prodResources = resourcesOfType(prod, type);
    expect(prodResources.length).toBeGreaterThan(0);
    prodResources.forEach(([, r]) => expect(r.DeletionPolicy).toBe('Retain'));
    resourcesOfType(dev, type).forEach(([, r]) => expect(r.DeletionPolicy).toBe('Delete'));
  }
});

test('no secret value appears in the template', () => {
  const text = JSON.stringify(prod.toJSON());
  expect(text).not.toMatch(/your-secure-auth-token-here/);
  expect(text).not.toMatch(/"AuthToken":"[^{]/);
  expect(text).not.toMatch(/MasterUserPassword":"[^{]/);
});

test('outputs the endpoints and the secret ARN', () => {
  for (const name of ['DatabaseEndpoint', 'DatabaseSecretArn', 'ReadReplicaEndpoint', 'RedisEndpoint']) {
    prod.hasOutput(name, {});
  }
  prod.hasOutput('RedisEndpoint', {
    Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RedisCluster'), 'PrimaryEndPoint.Address'] },
  });
});

test('pins the logical id of the database (renaming it would replace the instance)', () => {
  expect(primary(prod)).toBeDefined();
  expect(Object.keys(prod.findResources('AWS::RDS::DBInstance'))).toEqual(
    expect.arrayContaining(['PrimaryDatabase4D634A5D', 'ReadReplicaDA01B356'])
  );
});

describe('AWS Control Tower controls the database stack meets', () => {
  test.each([
    ['dev', dev],
    ['prod', prod],
  ])('%s: the primary says it is not publicly accessible (CT.RDS.PR.23)', (_env, template) => {
    expect(primary(template).Properties).toMatchObject({ PubliclyAccessible: false });
  });

  test('both instances export the postgresql and upgrade logs (CT.RDS.PR.14)', () => {
    for (const instance of [primary(prod), replica(prod)]) {
      expect(instance.Properties).toMatchObject({ EnableCloudwatchLogsExports: ['postgresql', 'upgrade'] });
    }
  });

  test('the primary allows IAM database authentication (CT.RDS.PR.7)', () => {
    expect(primary(prod).Properties).toMatchObject({ EnableIAMDatabaseAuthentication: true });
  });

  test('the parameter group refuses connections without TLS (CT.RDS.PR.28)', () => {
    prod.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
  });

  test('the database key allows KMS grants only for AWS resources (CT.KMS.PR.3)', () => {
    prod.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyGrantsExceptForAwsResources',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          },
        ]),
      },
    });
  });
});
