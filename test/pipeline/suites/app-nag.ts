import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type IConstruct } from 'constructs';
import { collectAcknowledgements, type NagAcknowledgement } from '../../../lib/compliance/nag-gate';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../../lib/config';
import { type PipelineFixture } from './pipeline-fixture';

/**
 * The gate's two cdk-nag packs (AwsSolutions, Serverless) over the pipeline stack and every stack of
 * every environment's AppStage, plus every acknowledgement, counted per rule and stack: a new one
 * shows up as a diff of this file, and none may have an empty or placeholder reason.
 *
 * On the PipelineStack that test/pipeline/pipeline-stack.test.ts builds once: it holds the AppStage
 * of every environment, so one construct tree covers every stack the gate checks, and cdk-nag's
 * validateScope only reads it. The synth-time gate itself, through the CDK CLI, is proven by
 * test/pipeline/nag-reports.test.ts.
 */
export function describeAppNag({ stack: pipelineStack }: PipelineFixture): void {
  const { stages, account, region } = pipelineStack;

  const PACKS = {
    AwsSolutions: () => new AwsSolutionsChecks(),
    Serverless: () => new ServerlessChecks(),
  } as const;
  type PackName = keyof typeof PACKS;
  const PACK_NAMES = Object.keys(PACKS) as PackName[];

  const STACK_IDS = ['Networking', 'Database', 'ServerlessApi', 'Monitoring'] as const;
  type StackId = (typeof STACK_IDS)[number];

  /** Rule id -> how many acknowledgements of it the stack records. */
  type Acknowledged = Readonly<Record<string, number>>;

  /** Acknowledged in every environment. */
  const ACKNOWLEDGED: Record<StackId, Acknowledged> = {
    Networking: {
      'AwsSolutions-EC23': 1,
      'CloudFormation-Validate::F3002': 1,
      'CloudFormation-Validate::F3003': 1,
      'CloudFormation-Validate::W3010': 1,
    },
    Database: {
      'AwsSolutions-AEC5': 1,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 1,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]': 1,
      'AwsSolutions-IAM5[Resource::*]': 1,
      'AwsSolutions-RDS11': 2,
      'AwsSolutions-RDS13': 1,
      'AwsSolutions-RDS2': 1,
      'AwsSolutions-SMG4': 1,
    },
    ServerlessApi: {
      'AwsSolutions-APIG4': 1,
      'AwsSolutions-COG2': 1,
      'AwsSolutions-COG4': 12,
      'AwsSolutions-COG8': 1,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]': 1,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]': 1,
      // + the API canary's role (s3:ListAllMyBuckets, cloudwatch:PutMetricData by namespace), and the
      // X-Ray permissions of its user's provider (AppFunction).
      'AwsSolutions-IAM5[Resource::*]': 7,
      'AwsSolutions-IAM5[Resource::<ApiCanaryArtifactsBucketC9B041D8.Arn>/*]': 1,
      'AwsSolutions-IAM5[Resource::<ApiCanaryUserProviderLogGroupE615316A.Arn>:*]': 1,
      'AwsSolutions-IAM5[Resource::<ApiDataTableC1EC4CE3.Arn>/index/*]': 3,
      'AwsSolutions-IAM5[Resource::<AuthorizerFunctionLogGroupB47801AB.Arn>:*]': 1,
      'AwsSolutions-IAM5[Resource::<OrderEventsFunctionLogGroupE83B2D43.Arn>:*]': 1,
      'AwsSolutions-IAM5[Resource::<OrdersFunctionLogGroup8325B1F9.Arn>:*]': 1,
      'AwsSolutions-IAM5[Resource::<ProductsFunctionLogGroup23E5BD3C.Arn>:*]': 1,
      'AwsSolutions-IAM5[Resource::<UsersFunctionLogGroup08AD9B83.Arn>:*]': 1,
      // users, products, orders, authorizer: API Gateway; orderEvents: the SQS event source mapping;
      // the canary user's provider: CloudFormation (Custom::ApiCanaryUser).
      'Serverless-LambdaDLQ': 6,
      'Serverless-LambdaEventSourceMappingDestination': 1,
      'Serverless-SQSRedrivePolicy': 1,
      // The API canary: its artifacts bucket, its two generated secrets, its generated role.
      'AwsSolutions-S1': 1,
      'AwsSolutions-SMG4': 2,
      'Serverless-LambdaStarPermissions': 1,
    },
    Monitoring: {
      'AwsSolutions-IAM5[Resource::*]': 2,
      'AwsSolutions-IAM5[Resource::<MetricsPublisherLogGroup7DBFEB7B.Arn>:*]': 1,
      'AwsSolutions-IAM5[Resource::<SlackNotifierLogGroupD46B4396.Arn>:*]': 1,
      'AwsSolutions-SMG4': 1,
      'AwsSolutions-SQS3': 1,
      // The Slack notifier (on-failure destination instead) and the metrics publisher (synchronous).
      'Serverless-LambdaDLQ': 2,
      'Serverless-SQSRedrivePolicy': 1,
    },
  };

  /** The log groups of the function Synthetics makes for the canary: named with the stage's account. */
  const canaryLogGroups = (env: EnvironmentName): Acknowledged => ({
    [`AwsSolutions-IAM5[Resource::arn:aws:logs:${stages[env].region}:${stages[env].account}:log-group:/aws/lambda/cwsyn-*]`]: 1,
  });

  /** Acknowledged only where the environment's config makes the finding true (or names its account). */
  const ACKNOWLEDGED_IN: Record<EnvironmentName, Partial<Record<StackId, Acknowledged>>> = {
    // Single-AZ and destroyable database; no web ACL (config.waf undefined).
    dev: {
      Database: { 'AwsSolutions-RDS10': 2, 'AwsSolutions-RDS3': 2 },
      ServerlessApi: { 'AwsSolutions-APIG3': 1, ...canaryLogGroups('dev') },
    },
    staging: { Database: { 'AwsSolutions-RDS10': 2 }, ServerlessApi: canaryLogGroups('staging') },
    // The bake role (config.bakeTime): cloudwatch:DescribeAlarms has no resource scoping.
    prod: { ServerlessApi: canaryLogGroups('prod'), Monitoring: { 'AwsSolutions-IAM5[Resource::*]': 3 } },
  };

  /** The pipeline stack's own resources (what CDK Pipelines generates, the notifications): not its stages. */
  const reportGroup = (name: string) => `arn:aws:codebuild:${region}:${account}:report-group/${name}`;
  const codeBuildLogs = (name: string) =>
    `arn:aws:logs:${region}:${account}:log-group:/aws/codebuild/${name}`;
  const PIPELINE_PROJECTS = [
    'PipelineAssetsFileAsset5D8C5DA6',
    'PipelineBuildSynthCdkBuildProject6BEFA8E6',
    'PipelineDevHealthCheckA64D5D0A',
    // The dev IntegrationTests step (config.integrationTests).
    'PipelineDevIntegrationTestsEBC1E93D',
    'PipelineProdBakeC89C4844',
    'PipelineProdHealthCheckC0C38B0C',
    'PipelineStagingHealthCheckD0632A27',
    'PipelineUpdatePipelineSelfMutationDAA41400',
  ];
  const PIPELINE_ACKNOWLEDGED: Acknowledged = {
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
  };

  /** A reason a reviewer would not accept: too short to say why, or a placeholder. */
  const MIN_REASON_LENGTH = 30;
  const PLACEHOLDER_REASON = /todo|tbd|fixme|placeholder|n\/a|^reason$/i;
  function isUnacceptableReason(reason: string): boolean {
    return reason.trim().length < MIN_REASON_LENGTH || PLACEHOLDER_REASON.test(reason.trim());
  }

  function stackOf(env: EnvironmentName, id: StackId): Stack {
    const stack = stages[env].node.tryFindChild(id);
    if (!stack || !Stack.isStack(stack)) throw new Error(`${env} has no stack ${id}`);
    return stack;
  }

  /** The pack's unacknowledged findings in the tree under `scope`, warnings and errors alike. */
  function findings(pack: PackName, scope: IConstruct): { success: boolean; findings: string[] } {
    const report = PACKS[pack]().validateScope(scope);
    return {
      success: report.success,
      findings: report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} (${v.severity}) at ${r.constructPath}`)
      ),
    };
  }

  function countByRule(acks: readonly NagAcknowledgement[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { ruleId } of acks) counts[ruleId] = (counts[ruleId] ?? 0) + 1;
    return counts;
  }

  /** Acknowledgements recorded on the pipeline stack's own constructs, outside its stages. */
  function pipelineOwnAcknowledgements(): NagAcknowledgement[] {
    const stagePaths = ENVIRONMENT_NAMES.map((env) => `${stages[env].node.path}/`);
    return collectAcknowledgements(pipelineStack).filter(
      (a) => !stagePaths.some((stagePath) => a.constructPath.startsWith(stagePath))
    );
  }

  const stackCases = ENVIRONMENT_NAMES.flatMap((env) => STACK_IDS.map((id) => [env, id] as const));
  const packCases = stackCases.flatMap(([env, id]) => PACK_NAMES.map((pack) => [env, id, pack] as const));

  test('every stack of the stage is covered', () => {
    for (const env of ENVIRONMENT_NAMES) {
      const stackIds = stages[env].node.children.filter((c) => Stack.isStack(c)).map((c) => c.node.id);
      expect(stackIds.sort()).toEqual([...STACK_IDS].sort());
    }
  });

  test.each(packCases)('%s/%s has no unacknowledged %s finding', (env, id, pack) => {
    expect(findings(pack, stackOf(env, id))).toEqual({ success: true, findings: [] });
  });

  test.each(PACK_NAMES)(
    'the pipeline stack, its stages included (what the gate sees), has no unacknowledged %s finding',
    (pack) => {
      expect(findings(pack, pipelineStack)).toEqual({ success: true, findings: [] });
    }
  );

  test.each(stackCases)('%s/%s acknowledges exactly the expected rules, as often as expected', (env, id) => {
    const expected = { ...ACKNOWLEDGED[id], ...ACKNOWLEDGED_IN[env][id] };
    expect(countByRule(collectAcknowledgements(stackOf(env, id)))).toEqual(expected);
  });

  test('the pipeline stack acknowledges exactly the expected rules on its own resources', () => {
    expect(countByRule(pipelineOwnAcknowledgements())).toEqual(PIPELINE_ACKNOWLEDGED);
  });

  test('every acknowledgement has a real reason (not empty, short or a placeholder)', () => {
    const all = collectAcknowledgements(pipelineStack);
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
}
