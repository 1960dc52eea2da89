import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { type DatabaseConfig, POSTGRES_PORT } from '../../lib/config';
import { PostgresDatabase, type PostgresDatabaseProps } from '../../lib/constructs/postgres-database';

const SETTINGS: DatabaseConfig = {
  instanceClass: ec2.InstanceClass.T3,
  instanceSize: ec2.InstanceSize.MEDIUM,
  replicaInstanceSize: ec2.InstanceSize.SMALL,
  multiAz: true,
  backupRetention: Duration.days(7),
  allocatedStorageGiB: 100,
  maxAllocatedStorageGiB: 1000,
  logStatement: 'ddl',
};

function build(overrides: Partial<PostgresDatabaseProps> = {}) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const securityGroup = new ec2.SecurityGroup(stack, 'DbSg', { vpc, allowAllOutbound: false });
  new PostgresDatabase(stack, 'Postgres', {
    vpc,
    securityGroup,
    encryptionKey: new kms.Key(stack, 'Key'),
    settings: SETTINGS,
    removalPolicy: RemovalPolicy.RETAIN,
    snapshotOnDelete: true,
    deletionProtection: true,
    environmentName: 'test',
    ...overrides,
  });
  return { template: Template.fromStack(stack), stack, securityGroup };
}

describe('PostgresDatabase', () => {
  const { template, stack, securityGroup } = build();

  test('is a primary and a read replica on the configured classes', () => {
    template.resourceCountIs('AWS::RDS::DBInstance', 2);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.t3.medium',
      Engine: 'postgres',
      StorageEncrypted: true,
      MultiAZ: true,
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.t3.small',
      SourceDBInstanceIdentifier: Match.anyValue(),
    });
  });

  test('snapshots the primary on delete and retains the replica and the secret', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Snapshot',
      Properties: Match.objectLike({ DeletionProtection: true, DeleteAutomatedBackups: false }),
    });
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ SourceDBInstanceIdentifier: Match.anyValue() }),
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  test('rotates the credentials every 30 days through its own security group', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: stack.resolve(securityGroup.securityGroupId),
      FromPort: POSTGRES_PORT,
      ToPort: POSTGRES_PORT,
      SourceSecurityGroupId: Match.anyValue(),
    });
  });

  test('a destroyable single-AZ environment deletes the primary and keeps no backups', () => {
    const dev = build({
      settings: { ...SETTINGS, multiAz: false },
      removalPolicy: RemovalPolicy.DESTROY,
      snapshotOnDelete: false,
      deletionProtection: false,
    }).template;
    dev.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ MultiAZ: false, DeleteAutomatedBackups: true }),
    });
  });

  test('throws when the storage may not grow to its allocated size', () => {
    expect(() => build({ settings: { ...SETTINGS, maxAllocatedStorageGiB: 50 } })).toThrow(
      'maxAllocatedStorageGiB must be at least allocatedStorageGiB (100), got 50'
    );
  });
});
