import { type EnvironmentName, loadEnvironments } from '../../lib/config';
import { testApp } from '../support/app';
import { type AcknowledgementCounts, ct, describeStageStackNag } from '../support/nag';

/** The ServerlessApi stack of every environment under the gate's cdk-nag packs. */
const environments = loadEnvironments(testApp().node);

const ACKNOWLEDGED: AcknowledgementCounts = {
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
  // No table-index wildcard: the handlers may Query GSI1 by its ARN only (lib/constructs/api-functions.ts).
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
};

/**
 * Under the gate's AWS Control Tower pack: API Gateway's invoke permissions (one per method and
 * its test invocation, and the authorizer's), the functions outside the VPC and their log groups
 * (+ the access logs), the order-events dead-letter queue, the canary's artifacts bucket.
 */
const CONTROL_TOWER_ACKNOWLEDGED: AcknowledgementCounts = {
  [ct('lambda_function_public_access_prohibited_check')]: 23,
  [ct('lambda_inside_vpc_check')]: 6,
  [ct('cloudwatch_log_group_encrypted_check')]: 7,
  [ct('cloudwatch_log_group_retention_period_check')]: 7,
  [ct('sqs_dlq_check')]: 1,
  [ct('s3_bucket_default_encryption_kms_check')]: 1,
  [ct('s3_bucket_logging_enabled_check')]: 1,
  [ct('s3_bucket_object_lock_enabled_check')]: 1,
  [ct('s3_bucket_versioning_enabled_check')]: 1,
  [ct('s3_event_notifications_enabled_check')]: 1,
};
/** The web ACL's log group (config.waf) and the deploy-guard alarms (config rollbackOnAlarm). */
const CONTROL_TOWER_WITH_WAF_AND_GUARDS: AcknowledgementCounts = {
  [ct('cloudwatch_log_group_encrypted_check')]: 8,
  [ct('cloudwatch_log_group_retention_period_check')]: 8,
  [ct('cloudwatch_alarm_action_check')]: 7,
};

/** The log groups of the function Synthetics makes for the canary: named with the stage's account. */
const canaryLogGroups = (env: EnvironmentName): AcknowledgementCounts => ({
  [`AwsSolutions-IAM5[Resource::arn:aws:logs:${environments[env].region}:${environments[env].account}:log-group:/aws/lambda/cwsyn-*]`]: 1,
});
/**
 * The user pool's pre token generation trigger where admins need MFA (config.identity
 * .adminsRequireMfa: staging, prod), an AppFunction: X-Ray and its log streams, invoked by Cognito
 * synchronously, outside the VPC, its log group.
 */
const PRE_TOKEN_TRIGGER: AcknowledgementCounts = {
  'AwsSolutions-IAM5[Resource::*]': 1,
  'AwsSolutions-IAM5[Resource::<PreTokenGenerationLogGroup56984400.Arn>:*]': 1,
  'Serverless-LambdaDLQ': 1,
  [ct('lambda_inside_vpc_check')]: 1,
  [ct('cloudwatch_log_group_encrypted_check')]: 1,
  [ct('cloudwatch_log_group_retention_period_check')]: 1,
};
/** Counts of both (a rule in both is summed). */
const plus = (a: AcknowledgementCounts, b: AcknowledgementCounts): AcknowledgementCounts =>
  Object.fromEntries(
    [...new Set([...Object.keys(a), ...Object.keys(b)])].map((id) => [id, (a[id] ?? 0) + (b[id] ?? 0)])
  );
const EVERY_ENVIRONMENT = { ...ACKNOWLEDGED, ...CONTROL_TOWER_ACKNOWLEDGED };
/** Where the environment's config makes the finding true (or names its account). */
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = {
  // No web ACL (config.waf undefined).
  dev: { 'AwsSolutions-APIG3': 1, ...canaryLogGroups('dev') },
  staging: plus(
    { ...EVERY_ENVIRONMENT, ...canaryLogGroups('staging'), ...CONTROL_TOWER_WITH_WAF_AND_GUARDS },
    PRE_TOKEN_TRIGGER
  ),
  prod: plus(
    { ...EVERY_ENVIRONMENT, ...canaryLogGroups('prod'), ...CONTROL_TOWER_WITH_WAF_AND_GUARDS },
    PRE_TOKEN_TRIGGER
  ),
};

describeStageStackNag('ServerlessApi', EVERY_ENVIRONMENT, ACKNOWLEDGED_IN);
