import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  cdkJsonContext,
  ConfigError,
  contextSource as source,
  ENVIRONMENT_DEFAULTS,
  loadEnvironment,
  loadEnvironments,
  loadPipelineConfig,
  type ContextSource,
} from '../../lib/config';

type Json = Record<string, unknown>;

/** cdk.json's context with one environment's block patched. */
function withEnv(name: string, patch: Json | undefined): ContextSource {
  const context = structuredClone(cdkJsonContext());
  const environments = context.environments as Json;
  if (patch === undefined) delete environments[name];
  else environments[name] = { ...(environments[name] as Json), ...patch };
  return source(context);
}

describe('the committed cdk.json', () => {
  const environments = loadEnvironments(source(cdkJsonContext()));

  test('defines dev, staging and prod with placeholder accounts in distinct accounts', () => {
    expect(Object.keys(environments)).toEqual(['dev', 'staging', 'prod']);
    const accounts = Object.values(environments).map((e) => e.account);
    expect(new Set(accounts).size).toBe(3);
    accounts.forEach((a) => expect(a).toMatch(/^\d{12}$/));
  });

  test('resolves NAT gateways to 1 in dev and one per AZ in prod', () => {
    expect(environments.dev.network.natGateways).toBe(1);
    expect(environments.prod.network.natGateways).toBe(environments.prod.availabilityZones.length);
    expect(environments.prod.network.natGateways).toBe(3);
  });

  test('protects prod and keeps dev destroyable', () => {
    expect(environments.prod).toMatchObject({
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      snapshotOnDelete: true,
      terminationProtection: true,
    });
    expect(environments.dev).toMatchObject({
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      snapshotOnDelete: false,
    });
  });

  test('logs every statement only in dev and traces API data only in dev', () => {
    expect(environments.dev.database.logStatement).toBe('all');
    expect(environments.staging.database.logStatement).toBe('ddl');
    expect(environments.prod.database.logStatement).toBe('ddl');
    expect(environments.dev.api.dataTraceEnabled).toBe(true);
    expect(environments.staging.api.dataTraceEnabled).toBe(false);
    expect(environments.prod.api.dataTraceEnabled).toBe(false);
  });

  test("sizes prod's database as the seed: t3.medium primary, t3.small replica", () => {
    const { instanceClass, instanceSize, replicaInstanceSize } = environments.prod.database;
    expect(ec2.InstanceType.of(instanceClass, instanceSize).toString()).toBe('t3.medium');
    expect(ec2.InstanceType.of(instanceClass, replicaInstanceSize).toString()).toBe('t3.small');
    expect(ENVIRONMENT_DEFAULTS.prod.network.natGateways).toBe('perAz');
  });

  test('has no bastion SSH CIDR unless one is configured', () => {
    expect(environments.dev.network.bastionSshCidr).toBeUndefined();
    expect(
      loadEnvironments(withEnv('dev', { bastionSshCidr: '203.0.113.0/24' })).dev.network.bastionSshCidr
    ).toBe('203.0.113.0/24');
  });

  test('reads the pipeline settings', () => {
    expect(loadPipelineConfig(source(cdkJsonContext()))).toMatchObject({
      account: '444444444444',
      branch: 'main',
      repository: expect.stringMatching(/^[\w.-]+\/[\w.-]+$/),
    });
  });

  test('reads the e-mail address of the pipeline notifications', () => {
    expect(loadPipelineConfig(source(cdkJsonContext())).notificationEmail).toBe(
      'pipeline-notifications@example.com'
    );
  });

  test('shifts API traffic canary in prod, linear in staging, all at once in dev; alarms roll back outside dev', () => {
    const shifting = (name: 'dev' | 'staging' | 'prod') => ({
      config: environments[name].deployment.trafficShifting.deploymentConfigName,
      rollbackOnAlarm: environments[name].deployment.rollbackOnAlarm,
    });
    expect({ dev: shifting('dev'), staging: shifting('staging'), prod: shifting('prod') }).toEqual({
      dev: { config: 'CodeDeployDefault.LambdaAllAtOnce', rollbackOnAlarm: false },
      staging: { config: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute', rollbackOnAlarm: true },
      prod: { config: 'CodeDeployDefault.LambdaCanary10Percent5Minutes', rollbackOnAlarm: true },
    });
  });
});

describe('config validation stops synth with the key and the bad value', () => {
  test.each([
    [
      'a malformed account id',
      'dev',
      { account: '1234' },
      /environments\.dev\.account must be a 12-digit AWS account id, got "1234"/,
    ],
    ['a bad region', 'staging', { region: 'mars-1' }, /environments\.staging\.region .* got "mars-1"/],
    [
      'AZs of another region',
      'prod',
      { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      /environments\.prod\.availabilityZones\[0\] must be an availability zone of us-east-1, got "eu-west-1a"/,
    ],
    [
      'too few AZs',
      'dev',
      { availabilityZones: ['us-east-1a'] },
      /environments\.dev\.availabilityZones must be 3 availability zones/,
    ],
    [
      'duplicate AZs',
      'dev',
      { availabilityZones: ['us-east-1a', 'us-east-1a', 'us-east-1b'] },
      /must be distinct availability zones/,
    ],
    [
      'a bad e-mail',
      'dev',
      { alarmEmail: 'not-an-email' },
      /environments\.dev\.alarmEmail .* got "not-an-email"/,
    ],
    ['a bad CORS origin', 'prod', { corsOrigins: ['*'] }, /environments\.prod\.corsOrigins\[0\] .* got "\*"/],
    [
      'a bad SSH CIDR',
      'dev',
      { bastionSshCidr: '10.0.0.300/8' },
      /environments\.dev\.bastionSshCidr .* got "10.0.0.300\/8"/,
    ],
  ])('throws on %s', (_label, env, patch, message) => {
    expect(() => loadEnvironments(withEnv(env, patch))).toThrow(message);
  });

  test('throws on an unknown environment name in context', () => {
    expect(() => loadEnvironments(withEnv('qa', { account: '555555555555' }))).toThrow(
      /environments\.qa must be one of dev, staging, prod, got "qa"/
    );
  });

  test('throws on an unknown environment name asked for', () => {
    expect(() => loadEnvironment(source(cdkJsonContext()), 'production')).toThrow(
      /environment name must be one of dev, staging, prod, got "production"/
    );
  });

  test('throws when an environment is missing', () => {
    expect(() => loadEnvironments(withEnv('staging', undefined))).toThrow(
      /environments\.staging must be defined/
    );
  });

  test('throws on a malformed connection ARN', () => {
    const context = structuredClone(cdkJsonContext());
    (context.pipeline as Json).connectionArn = 'arn:aws:s3:::bucket';
    expect(() => loadPipelineConfig(source(context))).toThrow(
      /pipeline\.connectionArn .* got "arn:aws:s3:::bucket"/
    );
  });

  test.each([
    ['a malformed', 'ops', /pipeline\.notificationEmail must be an e-mail address, got "ops"/],
    ['a missing', undefined, /pipeline\.notificationEmail must be an e-mail address, got undefined/],
  ])('throws on %s pipeline notification e-mail', (_label, value, message) => {
    const context = structuredClone(cdkJsonContext());
    (context.pipeline as Json).notificationEmail = value;
    expect(() => loadPipelineConfig(source(context))).toThrow(message);
  });

  test('errors are ConfigErrors', () => {
    expect(() => loadEnvironments(withEnv('dev', { account: 'x' }))).toThrow(ConfigError);
  });
});
