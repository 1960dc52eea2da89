import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/config';
import { synthAllStages } from '../support/app';

/**
 * cdk-nag (AwsSolutions) over every stack of every environment's AppStage, plus the list of
 * acknowledged rule ids per stack: a new acknowledgement shows up as a diff of this file.
 */
// The construct tree as built, without a full synth (4x faster); the synth-time gate itself, through
// the CDK CLI, is proven by test/pipeline/nag-gate.test.ts.
const { stages } = synthAllStages();

const STACK_IDS = ['Networking', 'Database', 'ServerlessApi', 'Monitoring'] as const;
type StackId = (typeof STACK_IDS)[number];

/** Acknowledged in every environment. */
const ACKNOWLEDGED: Record<StackId, readonly string[]> = {
  Networking: [
    'AwsSolutions-EC23',
    'CloudFormation-Validate::F3002',
    'CloudFormation-Validate::F3003',
    'CloudFormation-Validate::W3010',
  ],
  Database: [
    'AwsSolutions-AEC5',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-RDS11',
    'AwsSolutions-RDS13',
    'AwsSolutions-RDS2',
    'AwsSolutions-SMG4',
  ],
  ServerlessApi: [
    'AwsSolutions-APIG3',
    'AwsSolutions-APIG4',
    'AwsSolutions-COG2',
    'AwsSolutions-COG4',
    'AwsSolutions-COG8',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-IAM5[Resource::<ApiDataTableC1EC4CE3.Arn>/index/*]',
    'AwsSolutions-IAM5[Resource::<AuthorizerFunctionLogGroupB47801AB.Arn>:*]',
    'AwsSolutions-IAM5[Resource::<OrderEventsFunctionLogGroupE83B2D43.Arn>:*]',
    'AwsSolutions-IAM5[Resource::<OrdersFunctionLogGroup8325B1F9.Arn>:*]',
    'AwsSolutions-IAM5[Resource::<ProductsFunctionLogGroup23E5BD3C.Arn>:*]',
    'AwsSolutions-IAM5[Resource::<UsersFunctionLogGroup08AD9B83.Arn>:*]',
  ],
  Monitoring: [
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-IAM5[Resource::<MetricsPublisherLogGroup7DBFEB7B.Arn>:*]',
    'AwsSolutions-IAM5[Resource::<SlackNotifierLogGroupD46B4396.Arn>:*]',
    'AwsSolutions-SMG4',
    'AwsSolutions-SQS3',
  ],
};

/** Acknowledged only where the environment's config makes the finding true (single-AZ, destroyable). */
const ACKNOWLEDGED_IN: Record<EnvironmentName, Partial<Record<StackId, readonly string[]>>> = {
  dev: { Database: ['AwsSolutions-RDS10', 'AwsSolutions-RDS3'] },
  staging: { Database: ['AwsSolutions-RDS10'] },
  prod: {},
};

function stackOf(env: EnvironmentName, id: StackId): Stack {
  const stack = stages[env].node.tryFindChild(id);
  if (!stack || !Stack.isStack(stack)) throw new Error(`${env} has no stack ${id}`);
  return stack;
}

/** Rule id -> reason, from the metadata `Validations.of(x).acknowledge()` records in the stack's tree. */
function acknowledgements(stack: Stack): Map<string, string> {
  const acks = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        acks.set(id.replace(/^annotation::/i, ''), reason);
      }
    }
  }
  return acks;
}

const cases = ENVIRONMENT_NAMES.flatMap((env) => STACK_IDS.map((id) => [env, id] as const));

test('every stack of the stage is covered', () => {
  for (const env of ENVIRONMENT_NAMES) {
    const stackIds = stages[env].node.children.filter((c) => Stack.isStack(c)).map((c) => c.node.id);
    expect(stackIds.sort()).toEqual([...STACK_IDS].sort());
  }
});

test.each(cases)('%s/%s has no unacknowledged AwsSolutions finding', (env, id) => {
  const report = new AwsSolutionsChecks().validateScope(stackOf(env, id));
  const findings = report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)
  );
  expect(findings).toEqual([]);
  expect(report.success).toBe(true);
});

test.each(cases)('%s/%s acknowledges exactly the expected rules, each with a reason', (env, id) => {
  const acks = acknowledgements(stackOf(env, id));
  const expected = [...ACKNOWLEDGED[id], ...(ACKNOWLEDGED_IN[env][id] ?? [])].sort();
  expect([...acks.keys()].sort()).toEqual(expected);
  for (const [rule, reason] of acks) {
    expect({ rule, reason: reason.length >= 30 }).toEqual({ rule, reason: true });
  }
});
