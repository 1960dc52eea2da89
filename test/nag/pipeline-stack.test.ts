import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { collectAcknowledgements } from '../../lib/compliance/nag-gate';
import { ENVIRONMENT_NAMES, loadPipelineConfig } from '../../lib/config';
import { type PipelineStack } from '../../lib/pipeline/pipeline-stack';
import { testApp } from '../support/app';
import {
  type AcknowledgementCounts,
  acknowledgementCounts,
  buildPipelineStack,
  ct,
  isUnacceptableReason,
  NAG_PACK_NAMES,
  nagFindings,
} from '../support/nag';

/**
 * The gate's cdk-nag packs over the whole PipelineStack (what the synth gate sees: the pipeline and
 * every stage), the acknowledgements on the pipeline's own resources, and the reasons of every
 * acknowledgement. Each stage stack has its own file beside this one.
 */
const { account, region } = loadPipelineConfig(testApp().node);

const reportGroup = (name: string) => `arn:aws:codebuild:${region}:${account}:report-group/${name}`;
const codeBuildLogs = (name: string) => `arn:aws:logs:${region}:${account}:log-group:/aws/codebuild/${name}`;
/** The CodeBuild projects CDK Pipelines generates. */
const PIPELINE_PROJECTS = [
  'PipelineAssetsFileAsset5D8C5DA6',
  'PipelineBuildSynthCdkBuildProject6BEFA8E6',
  'PipelineDevHealthCheckA64D5D0A',
  // The dev IntegrationTests step (config.integrationTests).
  'PipelineDevIntegrationTestsEBC1E93D',
  'PipelineProdBakeC89C4844',
  // The change review and destructive-change guard (lib/config/change-guard.ts: staging, prod).
  'PipelineProdChangeReview2496BD69',
  'PipelineProdHealthCheckC0C38B0C',
  'PipelineStagingChangeReview2AF9A6F2',
  'PipelineStagingHealthCheckD0632A27',
  'PipelineUpdatePipelineSelfMutationDAA41400',
];
/** On the pipeline stack's own resources (what CDK Pipelines generates, the notifications): not its stages. */
const PIPELINE_ACKNOWLEDGED: AcknowledgementCounts = {
  'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 1,
  'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': 1,
  'AwsSolutions-IAM5[Action::s3:Abort*]': 1,
  'AwsSolutions-IAM5[Action::s3:DeleteObject*]': 1,
  'AwsSolutions-IAM5[Action::s3:GetBucket*]': 1,
  'AwsSolutions-IAM5[Action::s3:GetObject*]': 1,
  'AwsSolutions-IAM5[Action::s3:List*]': 1,
  // + the delivery-metrics function's X-Ray permissions (AppFunction).
  'AwsSolutions-IAM5[Resource::*]': 2,
  'AwsSolutions-IAM5[Resource::<DeliveryMetricsFunctionLogGroupC1F8CE9D.Arn>:*]': 1,
  'AwsSolutions-IAM5[Resource::<PipelineArtifactsBucketAEA9A052.Arn>/*]': 1,
  [`AwsSolutions-IAM5[Resource::arn:*:iam::${account}:role/*]`]: 1,
  [`AwsSolutions-IAM5[Resource::${reportGroup('*')}]`]: 1,
  [`AwsSolutions-IAM5[Resource::${codeBuildLogs('*')}]`]: 1,
  ...Object.fromEntries(
    PIPELINE_PROJECTS.flatMap((project) => [
      [`AwsSolutions-IAM5[Resource::${reportGroup(`<${project}>-*`)}]`, 1],
      [`AwsSolutions-IAM5[Resource::${codeBuildLogs(`<${project}>:*`)}]`, 1],
    ])
  ),
  'AwsSolutions-S1': 1,
  'Serverless-SNSRedrivePolicy': 1,
  // The delivery metrics: its dead-letter queue, the function's on-failure destination.
  'AwsSolutions-SQS3': 1,
  'Serverless-LambdaDLQ': 1,
  'Serverless-SQSRedrivePolicy': 1,
  // The AWS Control Tower pack: the artifact bucket, the generated CodeBuild projects, and the
  // delivery metrics (its dead-letter queue, its function outside the VPC and that function's log group).
  [ct('s3_bucket_logging_enabled_check')]: 1,
  [ct('s3_bucket_object_lock_enabled_check')]: 1,
  [ct('s3_bucket_versioning_enabled_check')]: 1,
  [ct('s3_event_notifications_enabled_check')]: 1,
  [ct('codebuild_project_logging_enabled_check')]: PIPELINE_PROJECTS.length,
  [ct('sqs_dlq_check')]: 1,
  [ct('lambda_inside_vpc_check')]: 1,
  [ct('cloudwatch_log_group_encrypted_check')]: 1,
  [ct('cloudwatch_log_group_retention_period_check')]: 1,
};

/** test/nag/<stack>.test.ts of a stage's stack: ServerlessApi -> serverless-api-stack.test.ts. */
const nagTestFileOf = (stackId: string) =>
  path.join(__dirname, `${stackId.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}-stack.test.ts`);

let pipeline: PipelineStack;
beforeAll(() => {
  pipeline = buildPipelineStack();
});

test('every stack of every stage has its own nag test file here', () => {
  for (const env of ENVIRONMENT_NAMES) {
    const stackIds = pipeline.stages[env].node.children.filter((c) => Stack.isStack(c)).map((c) => c.node.id);
    expect(stackIds.length).toBeGreaterThanOrEqual(4);
    expect(stackIds.filter((id) => !fs.existsSync(nagTestFileOf(id)))).toEqual([]);
  }
});

test.each(NAG_PACK_NAMES)(
  'the pipeline stack, its stages included (what the gate sees), has no unacknowledged %s finding',
  (pack) => {
    expect(nagFindings(pack, pipeline)).toEqual({ success: true, findings: [] });
  }
);

test('the pipeline stack acknowledges exactly the expected rules on its own resources', () => {
  expect(acknowledgementCounts(pipeline, Object.values(pipeline.stages))).toEqual(PIPELINE_ACKNOWLEDGED);
});

test('every acknowledgement has a real reason (not empty, short or a placeholder)', () => {
  const all = collectAcknowledgements(pipeline);
  expect(all.length).toBeGreaterThan(0);
  const unacceptable = all
    .filter((a) => isUnacceptableReason(a.reason))
    .map((a) => `${a.ruleId} at ${a.constructPath}: ${JSON.stringify(a.reason)}`);
  expect(unacceptable).toEqual([]);
});

test.each([
  ['', true],
  ['Needed.', true],
  ['TODO: explain why this wildcard is needed here', true],
  ['Placeholder until the security review is finished', true],
  ['N/A for this resource, nothing more to say about it', true],
  ['reason', true],
  ["Log streams of this function's own log group only.", false],
])('the reason check on %j: rejected = %s', (reason, rejected) => {
  expect(isUnacceptableReason(reason)).toBe(rejected);
});
