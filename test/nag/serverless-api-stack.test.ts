import { type EnvironmentName, loadEnvironments } from '../../lib/config';
import { testApp } from '../support/app';
import { type AcknowledgementCounts, describeStageStackNag } from '../support/nag';

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

/** The log groups of the function Synthetics makes for the canary: named with the stage's account. */
const canaryLogGroups = (env: EnvironmentName): AcknowledgementCounts => ({
  [`AwsSolutions-IAM5[Resource::arn:aws:logs:${environments[env].region}:${environments[env].account}:log-group:/aws/lambda/cwsyn-*]`]: 1,
});
/**
 * The user pool's pre token generation trigger where admins need MFA (config.identity
 * .adminsRequireMfa: staging, prod), an AppFunction: X-Ray and its log streams, invoked by Cognito
 * synchronously.
 */
const PRE_TOKEN_TRIGGER: AcknowledgementCounts = {
  'AwsSolutions-IAM5[Resource::*]': 1,
  'AwsSolutions-IAM5[Resource::<PreTokenGenerationLogGroup56984400.Arn>:*]': 1,
  'Serverless-LambdaDLQ': 1,
};
/** Counts of both (a rule in both is summed). */
const plus = (a: AcknowledgementCounts, b: AcknowledgementCounts): AcknowledgementCounts =>
  Object.fromEntries(
    [...new Set([...Object.keys(a), ...Object.keys(b)])].map((id) => [id, (a[id] ?? 0) + (b[id] ?? 0)])
  );
/** Where the environment's config makes the finding true (or names its account). */
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = {
  // No web ACL (config.waf undefined).
  dev: { 'AwsSolutions-APIG3': 1, ...canaryLogGroups('dev') },
  staging: plus({ ...ACKNOWLEDGED, ...canaryLogGroups('staging') }, PRE_TOKEN_TRIGGER),
  prod: plus({ ...ACKNOWLEDGED, ...canaryLogGroups('prod') }, PRE_TOKEN_TRIGGER),
};

describeStageStackNag('ServerlessApi', ACKNOWLEDGED, ACKNOWLEDGED_IN);
