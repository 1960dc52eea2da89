import { CfnOutput, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { type Construct } from 'constructs';
import { ApiAuthorizer } from '../constructs/api-authorizer';
import { ApiCanary } from '../constructs/api-canary';
import {
  ApiFunctions,
  type ApiFunctionName,
  AUTHORIZER_DEPLOY_GUARD_ERRORS_THRESHOLD,
} from '../constructs/api-functions';
import { ApiWaf } from '../constructs/api-waf';
import { type AppFunction } from '../constructs/app-function';
import { AppTable } from '../constructs/app-table';
import { CanaryDeployment } from '../constructs/canary-deployment';
import { IntegrationTestRole } from '../constructs/integration-test-role';
import { OrderEvents } from '../constructs/order-events';
import { RestApi } from '../constructs/rest-api';
import { authorizerUnexpectedFailures } from '../constructs/service-alarms';
import { UserDirectory } from '../constructs/user-directory';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';

export interface ServerlessApiStackProps extends EnvironmentStackProps {
  /**
   * The account of the pipeline that deploys this stack: trusted by the integration-test role where
   * the config runs integration tests. @default - no integration-test role
   */
  readonly pipelineAccount?: string;
}

/**
 * The serverless application: Cognito, the single DynamoDB table, the order-events queue, the
 * Lambda functions behind `live` aliases that CodeDeploy shifts, and the REST API (every /v1 route
 * behind the REQUEST authorizer; /health public), with its WAF and its canary.
 *
 * Construct ids are those the resources were first deployed with (logical ids are a contract).
 */
export class ServerlessApiStack extends EnvironmentStack {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly table: dynamodb.Table;
  public readonly orderEventsQueue: sqs.Queue;
  public readonly orderEventsDeadLetterQueue: sqs.Queue;
  public readonly functions: Readonly<Record<ApiFunctionName, AppFunction>>;
  /** The `live` alias of every function (what callers invoke) and its CodeDeploy deployment group. */
  public readonly deployment: CanaryDeployment<ApiFunctionName>;
  public readonly authorizer: ApiAuthorizer;
  public readonly api: RestApi;
  /** The generated key of the usage plan (`x-api-key`); its value never appears in a template. */
  public readonly apiKey: apigw.IApiKey;
  /** The web ACL on the API stage; absent where the config has no WAF (dev). */
  public readonly waf?: ApiWaf;
  /** Calls /health and an authenticated read on a schedule; its failures roll deployments back. */
  public readonly canary: ApiCanary;
  /** Assumed by the pipeline's integration-test step; where the config runs integration tests. */
  public readonly integrationTestRole?: IntegrationTestRole;
  public readonly apiUrlOutput: CfnOutput;
  public readonly userPoolIdOutput: CfnOutput;
  public readonly userPoolClientIdOutput: CfnOutput;
  /** The API key's id (not its value), for the pipeline's integration tests. */
  public readonly apiKeyIdOutput: CfnOutput;
  public readonly integrationTestRoleArnOutput?: CfnOutput;

  constructor(scope: Construct, id: string, props: ServerlessApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { deletionProtection, removalPolicy } = config;

    const users = new UserDirectory(this, 'Users', {
      deletionProtection,
      removalPolicy,
      identity: config.identity,
      functionConfig: config,
    });
    this.userPool = users.userPool;
    this.userPoolClient = users.userPoolClient;
    this.table = new AppTable(this, 'Data', { deletionProtection, removalPolicy }).table;
    const orderEvents = new OrderEvents(this, 'OrderEvents', { removalPolicy });
    this.orderEventsQueue = orderEvents.queue;
    this.orderEventsDeadLetterQueue = orderEvents.deadLetterQueue;

    const functions = new ApiFunctions(this, 'Functions', {
      functionConfig: config,
      table: this.table,
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
      orderEventsQueue: this.orderEventsQueue,
      corsOrigins: config.api.corsOrigins,
      limits: config.functions,
    });
    this.functions = functions.functions;
    this.deployment = new CanaryDeployment(this, 'CanaryDeployment', {
      environmentName: config.name,
      trafficShifting: config.deployment.trafficShifting,
      rollbackOnAlarm: config.deployment.rollbackOnAlarm,
      functions: functions.lambdas(),
      errorsThresholds: { authorizer: AUTHORIZER_DEPLOY_GUARD_ERRORS_THRESHOLD },
      errorsMetrics: { authorizer: authorizerUnexpectedFailures() },
    });
    const live = this.deployment.aliases;
    orderEvents.addConsumer(live.orderEvents);

    // The authorizer and the access log group sit beside the API, where they were first deployed.
    this.authorizer = new ApiAuthorizer(this, 'CustomAuthorizer', { handler: live.authorizer });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetention,
      removalPolicy,
    });
    this.api = new RestApi(this, 'ServerlessApi', {
      stageName: config.name,
      settings: config.api,
      accessLogs,
      authorizer: this.authorizer,
      handlers: live,
    });
    this.apiKey = this.api.apiKey;
    if (config.waf) {
      this.waf = new ApiWaf(this, 'ApiWaf', {
        stage: this.api.deploymentStage,
        webAclName: `${config.name}-api`,
        rateLimitPer5Minutes: config.waf.rateLimitPer5Minutes,
        perCallerRateLimitPer5Minutes: config.waf.perCallerRateLimitPer5Minutes,
        logRetention: config.logRetention,
        removalPolicy,
      });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: `No WAFv2 web ACL in ${config.name} by config (waf: undefined): the API holds test data only; staging and prod have one.`,
      });
    }

    this.deployment.addApiGuard(this.api);
    this.canary = new ApiCanary(this, 'ApiCanary', {
      environmentName: config.name,
      schedule: config.synthetics.schedule,
      removalPolicy,
      providerLogging: config,
      api: this.api,
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
    });
    this.deployment.addCanaryGuard(
      this.canary.metricSuccessPercent(),
      config.synthetics.successPercentThreshold
    );

    this.apiUrlOutput = new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'API Gateway URL',
    });
    this.userPoolIdOutput = new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'Cognito user pool id',
    });
    this.userPoolClientIdOutput = new CfnOutput(this, 'UserPoolClientId', {
      value: this.userPoolClient.userPoolClientId,
      description: 'Cognito user pool client id',
    });
    this.apiKeyIdOutput = new CfnOutput(this, 'ApiKeyId', {
      value: this.apiKey.keyId,
      description: 'Id of the generated API key (GetApiKey with includeValue reads its value)',
    });
    if (config.integrationTests && props.pipelineAccount !== undefined) {
      this.integrationTestRole = new IntegrationTestRole(this, 'IntegrationTestRole', {
        environmentName: config.name,
        trustedAccount: props.pipelineAccount,
        userPool: this.userPool,
        apiKey: this.apiKey,
      });
      this.integrationTestRoleArnOutput = new CfnOutput(this, 'IntegrationTestRoleArn', {
        value: this.integrationTestRole.role.roleArn,
        description: "Role the pipeline's integration-test step assumes to make its test users",
      });
    }
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'DynamoDB table name' });
  }
}
