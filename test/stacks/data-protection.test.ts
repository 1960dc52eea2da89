import { type EnvironmentName, loadEnvironments } from '../../lib/config';
import { testApp } from '../support/app';
import { type StageStack, stageStacks } from '../support/templates';

/**
 * Data protection across every stack of a stage, by resource TYPE: a key, secret, log group or
 * table added to any stack later is covered without touching this file.
 *
 * prod: nothing stateful is lost on a stack deletion or a replacement (Retain, or Snapshot where
 * the service takes one), deletion protection where the service has it, backups kept.
 * dev: cheap and destroyable (everything goes with the stack, no deletion protection).
 */

// The templates of this run's stage app, synthesized once by the global setup.
const configs = loadEnvironments(testApp().node);

interface CfnResource {
  readonly Type: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Properties?: Record<string, unknown>;
}
interface FoundResource extends CfnResource {
  /** `<stack id>/<logical id>`, for readable failures. */
  readonly label: string;
  readonly properties: Record<string, unknown>;
}

/** Every stack of the stage, whatever stacks are added to it later. */
function stacksOf(stage: EnvironmentName): StageStack[] {
  return stageStacks(stage);
}

function resourcesOf(stage: EnvironmentName, type: string): FoundResource[] {
  return stacksOf(stage).flatMap((stack) =>
    Object.entries(stack.template.toJSON().Resources as Record<string, CfnResource>)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => ({ ...r, label: `${stack.id}/${id}`, properties: r.Properties ?? {} }))
  );
}

/** `label: value` for each resource, so a failure names the offender. */
const each = (resources: FoundResource[], value: (r: FoundResource) => unknown) =>
  resources.map((r) => `${r.label}: ${JSON.stringify(value(r))}`);
const expectEvery = (resources: FoundResource[], value: (r: FoundResource) => unknown, expected: unknown) =>
  expect(each(resources, value)).toEqual(resources.map((r) => `${r.label}: ${JSON.stringify(expected)}`));

/** Stateful types the stage has today: each must be present (non-empty) in prod and dev. */
const STATEFUL_TYPES = [
  'AWS::RDS::DBInstance',
  'AWS::DynamoDB::Table',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::Logs::LogGroup',
  'AWS::Cognito::UserPool',
  // Queues hold undelivered order events and failed notifications.
  'AWS::SQS::Queue',
] as const;
/** Stateful types the stage may gain: held to the same policies when they appear. */
const OPTIONAL_STATEFUL_TYPES = [
  'AWS::S3::Bucket',
  'AWS::RDS::DBCluster',
  'AWS::DynamoDB::GlobalTable',
  'AWS::ElastiCache::CacheCluster',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::EFS::FileSystem',
  'AWS::Backup::BackupVault',
] as const;
/** Where the service itself can refuse a delete: the property and its "on" and "off" values. */
const DELETION_PROTECTION: Record<string, { property: string; on: unknown; off: unknown }> = {
  'AWS::RDS::DBInstance': { property: 'DeletionProtection', on: true, off: false },
  'AWS::RDS::DBCluster': { property: 'DeletionProtection', on: true, off: false },
  'AWS::DynamoDB::Table': { property: 'DeletionProtectionEnabled', on: true, off: false },
  'AWS::Cognito::UserPool': { property: 'DeletionProtection', on: 'ACTIVE', off: 'INACTIVE' },
};
/** Every resource of the stage that has a deletion-protection setting, with its value. */
const deletionProtectionOf = (stage: EnvironmentName) =>
  Object.entries(DELETION_PROTECTION).flatMap(([type, { property, on, off }]) =>
    resourcesOf(stage, type).map((r) => ({ type, label: r.label, value: r.properties[property], on, off }))
  );
/** Policies that keep the data: Snapshot only exists for some types, and is what they use. */
const KEEPS_DATA = ['Retain', 'RetainExceptOnCreate', 'Snapshot'];

const keepsData = (r: FoundResource) =>
  KEEPS_DATA.includes(r.DeletionPolicy ?? '') && KEEPS_DATA.includes(r.UpdateReplacePolicy ?? '');
/** Explicitly: without a policy the type's default applies, which is Snapshot for some (RDS). */
const isDeleted = (r: FoundResource) => r.DeletionPolicy === 'Delete' && r.UpdateReplacePolicy === 'Delete';
/** The resources failing `ok`, with their policies (undefined: none set in the template). */
const offendersOf = (resources: FoundResource[], ok: (r: FoundResource) => boolean) =>
  each(
    resources.filter((r) => !ok(r)),
    (r) => ({ DeletionPolicy: r.DeletionPolicy, UpdateReplacePolicy: r.UpdateReplacePolicy })
  );

const prod: EnvironmentName = 'prod';
const dev: EnvironmentName = 'dev';

test('every environment has the four stacks this file reasons about', () => {
  for (const stage of [prod, dev]) {
    expect(stacksOf(stage).map((s) => s.id)).toEqual(
      expect.arrayContaining(['Networking', 'Database', 'ServerlessApi', 'Monitoring'])
    );
  }
});

describe('prod keeps its data', () => {
  test.each(STATEFUL_TYPES)('%s: present, retained or snapshotted on delete and on replacement', (type) => {
    const resources = resourcesOf(prod, type);
    expect(resources.length).toBeGreaterThan(0);
    expect(offendersOf(resources, keepsData)).toEqual([]);
  });

  test(`any other stateful type the stage gains (${OPTIONAL_STATEFUL_TYPES.length} watched) keeps its data too`, () => {
    const resources = OPTIONAL_STATEFUL_TYPES.flatMap((type) => resourcesOf(prod, type));
    expect(offendersOf(resources, keepsData)).toEqual([]);
  });

  test('log groups of every stack are covered (Networking flow logs, Redis slow log, functions, API access)', () => {
    const stacksWithLogGroups = new Set(
      resourcesOf(prod, 'AWS::Logs::LogGroup').map((r) => r.label.split('/')[0])
    );
    expect([...stacksWithLogGroups]).toEqual(
      expect.arrayContaining(['Database', 'Monitoring', 'Networking', 'ServerlessApi'])
    );
  });

  test('log groups that services create (RDS exports) are not deleted with the stack', () => {
    // Custom::LogRetention deletes the group on stack deletion only with RemovalPolicy "destroy".
    const retention = resourcesOf(prod, 'Custom::LogRetention');
    expect(retention.length).toBeGreaterThan(0);
    expectEvery(retention, (r) => r.properties.RemovalPolicy ?? 'retain', 'retain');
  });

  test('RDS primary and replica, the table and the user pool are deletion-protected', () => {
    const protectable = deletionProtectionOf(prod);
    expect(protectable.map((p) => p.type)).toEqual(
      expect.arrayContaining(['AWS::RDS::DBInstance', 'AWS::DynamoDB::Table', 'AWS::Cognito::UserPool'])
    );
    expect(protectable.filter((p) => p.value !== p.on).map((p) => `${p.label}: ${String(p.value)}`)).toEqual(
      []
    );
    expect(resourcesOf(prod, 'AWS::RDS::DBInstance').map((r) => r.label)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Database\/PrimaryDatabase/),
        expect.stringMatching(/^Database\/ReadReplica/),
      ])
    );
  });

  test('the primary database snapshots on delete and keeps 7 days of automated backups after it', () => {
    const primaries = resourcesOf(prod, 'AWS::RDS::DBInstance').filter(
      (r) => r.properties.SourceDBInstanceIdentifier === undefined
    );
    expect(primaries.length).toBeGreaterThan(0);
    expectEvery(
      primaries,
      (r) => ({
        DeletionPolicy: r.DeletionPolicy,
        BackupRetentionPeriod: r.properties.BackupRetentionPeriod,
        DeleteAutomatedBackups: r.properties.DeleteAutomatedBackups,
      }),
      { DeletionPolicy: 'Snapshot', BackupRetentionPeriod: 7, DeleteAutomatedBackups: false }
    );
  });

  test('every table has point-in-time recovery', () => {
    expectEvery(
      resourcesOf(prod, 'AWS::DynamoDB::Table'),
      (r) => r.properties.PointInTimeRecoverySpecification,
      { PointInTimeRecoveryEnabled: true }
    );
  });

  test('Redis keeps daily snapshots and takes a final one on delete', () => {
    const groups = resourcesOf(prod, 'AWS::ElastiCache::ReplicationGroup');
    expectEvery(groups, (r) => r.DeletionPolicy, 'Snapshot');
    for (const group of groups) {
      expect(group.properties.SnapshotRetentionLimit).toBeGreaterThanOrEqual(1);
    }
  });

  test('every stack is termination-protected', () => {
    expect(
      stacksOf(prod)
        .filter((s) => !s.terminationProtection)
        .map((s) => s.id)
    ).toEqual([]);
  });
});

describe('dev stays cheap and destroyable', () => {
  test.each(STATEFUL_TYPES)('%s: present, deleted with the stack and on replacement', (type) => {
    const resources = resourcesOf(dev, type);
    expect(resources.length).toBeGreaterThan(0);
    expect(offendersOf(resources, isDeleted)).toEqual([]);
  });

  test(`any other stateful type the stage gains (${OPTIONAL_STATEFUL_TYPES.length} watched) is deleted too`, () => {
    const resources = OPTIONAL_STATEFUL_TYPES.flatMap((type) => resourcesOf(dev, type));
    expect(offendersOf(resources, isDeleted)).toEqual([]);
  });

  test('nothing is deletion-protected, no stack is termination-protected', () => {
    // Absent means off for every one of these properties.
    const protectable = deletionProtectionOf(dev);
    expect(protectable.length).toBeGreaterThan(0);
    expect(
      protectable
        .filter((p) => p.value !== undefined && p.value !== p.off)
        .map((p) => `${p.label}: ${String(p.value)}`)
    ).toEqual([]);
    expect(
      stacksOf(dev)
        .filter((s) => s.terminationProtection)
        .map((s) => s.id)
    ).toEqual([]);
  });

  test('one NAT gateway, not one per AZ', () => {
    const natGateways = resourcesOf(dev, 'AWS::EC2::NatGateway');
    expect(natGateways).toHaveLength(1);
    expect(natGateways.length).toBeLessThan(configs.dev.availabilityZones.length);
  });

  test('every database instance is a single-AZ db.t3.micro', () => {
    const instances = resourcesOf(dev, 'AWS::RDS::DBInstance');
    expect(instances.length).toBeGreaterThanOrEqual(2);
    expectEvery(
      instances,
      (r) => ({ DBInstanceClass: r.properties.DBInstanceClass, MultiAZ: r.properties.MultiAZ }),
      { DBInstanceClass: 'db.t3.micro', MultiAZ: false }
    );
  });

  test('no API Gateway cache cluster', () => {
    const apiStages = resourcesOf(dev, 'AWS::ApiGateway::Stage');
    expect(apiStages.length).toBeGreaterThan(0);
    expectEvery(apiStages, (r) => r.properties.CacheClusterEnabled ?? false, false);
  });
});
