import { type EnvironmentName } from '../../lib/config';
import { type AcknowledgementCounts, ct, describeStageStackNag } from '../support/nag';

/** The Monitoring stack of every environment under the gate's cdk-nag packs. */
const ACKNOWLEDGED: AcknowledgementCounts = {
  'AwsSolutions-IAM5[Resource::*]': 2,
  'AwsSolutions-IAM5[Resource::<MetricsPublisherLogGroup7DBFEB7B.Arn>:*]': 1,
  'AwsSolutions-IAM5[Resource::<SlackNotifierLogGroupD46B4396.Arn>:*]': 1,
  'AwsSolutions-SMG4': 1,
  'AwsSolutions-SQS3': 1,
  // The Slack notifier (on-failure destination instead) and the metrics publisher (synchronous).
  'Serverless-LambdaDLQ': 2,
  'Serverless-SQSRedrivePolicy': 1,
};
/** Under the gate's AWS Control Tower pack: the notifications' dead-letter queue, two functions and their log groups. */
const CONTROL_TOWER_ACKNOWLEDGED: AcknowledgementCounts = {
  [ct('sqs_dlq_check')]: 1,
  [ct('cloudwatch_log_group_encrypted_check')]: 2,
  [ct('cloudwatch_log_group_retention_period_check')]: 2,
  [ct('lambda_inside_vpc_check')]: 2,
};
/** Where the environment's config makes the finding true. */
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = {
  dev: {},
  staging: {},
  // The bake role (config.bakeTime): cloudwatch:DescribeAlarms has no resource scoping.
  prod: { 'AwsSolutions-IAM5[Resource::*]': 3 },
};

describeStageStackNag('Monitoring', { ...ACKNOWLEDGED, ...CONTROL_TOWER_ACKNOWLEDGED }, ACKNOWLEDGED_IN);
