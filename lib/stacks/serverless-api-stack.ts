import { CfnOutput, CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { type Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import {
  API_MODELS,
  API_ROUTES,
  type ApiModelName,
  type ApiRoute,
  CORS_ALLOWED_HEADERS,
  GATEWAY_RESPONSES,
  type MockIntegration,
} from '../api/routes';
import { ApiCanary } from '../constructs/api-canary';
import { ApiWaf } from '../constructs/api-waf';
import { AppFunction } from '../constructs/app-function';
import { CanaryDeployment } from '../constructs/canary-deployment';
import { IntegrationTestRole } from '../constructs/integration-test-role';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';

export interface ServerlessApiStackProps extends EnvironmentStackProps {
  /**
   * The account of the pipeline that deploys this stack: trusted by the integration-test role where
   * the config runs integration tests. @default - no integration-test role
   */
  readonly pipelineAccount?: string;
}

/** Names of the API's Lambda functions (folders under functions/). */
export type ApiFunctionName = 'users' | 'products' | 'orders' | 'authorizer' | 'orderEvents';

export const AUTHORIZER_TIMEOUT = Duration.seconds(10);
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);
export const ACCESS_TOKEN_VALIDITY = Duration.minutes(60);
export const REFRESH_TOKEN_VALIDITY = Duration.days(30);
export const PASSWORD_MIN_LENGTH = 8;
export const ORDER_EVENTS_MAX_RECEIVES = 3;
export const ORDER_EVENTS_RETENTION = Duration.days(4);
export const ORDER_EVENTS_DLQ_RETENTION = Duration.days(14);
export const ORDER_EVENTS_BATCH_SIZE = 10;
/** Per-client throttling of the default usage plan (clients identified by x-api-key). */
export const USAGE_PLAN_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;
export const ADMINS_GROUP = 'admins';
/** Construct id of the API key the stack generates (the usage plan's first client). */
export const DEFAULT_API_KEY_ID = 'DefaultClientKey';
export const SERVICE_NAME = 'api-service';
/**
 * Authorizer errors per minute that stop its deployment. Its refusals (expired or forged tokens) are
 * Lambda errors by design, so this sits above the usual refusal rate; an authorizer that crashes
 * also shows as API 5XX (API Gateway answers 500 when its authorizer fails).
 */
export const AUTHORIZER_DEPLOY_GUARD_ERRORS_THRESHOLD = 20;

const AUTHORIZER_REASON =
  'Every /v1 method uses the REQUEST Lambda authorizer, which verifies the Cognito token (signature, ' +
  'issuer, client, expiry) with aws-jwt-verify and requires an API key: Cognito authorization in code.';

/**
 * The serverless application: Cognito, the single DynamoDB table, the order-events queue, the
 * Lambda functions and the REST API (every /v1 route behind the REQUEST authorizer; /health public).
 */
export class ServerlessApiStack extends EnvironmentStack {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly table: dynamodb.Table;
  public readonly orderEventsQueue: sqs.Queue;
  public readonly orderEventsDeadLetterQueue: sqs.Queue;
  public readonly functions: Record<ApiFunctionName, AppFunction>;
  /** The `live` alias of every function (what callers invoke) and its CodeDeploy deployment group. */
  public readonly deployment: CanaryDeployment<ApiFunctionName>;
  public readonly authorizer: apigw.RequestAuthorizer;
  public readonly requestValidator: apigw.RequestValidator;
  public readonly api: apigw.RestApi;
  /** The web ACL on the API stage; absent where the config has no WAF (dev). */
  public readonly waf?: ApiWaf;
  public readonly apiUrlOutput: CfnOutput;
  /** The generated key of the usage plan (`x-api-key`); its value never appears in a template. */
  public readonly apiKey: apigw.IApiKey;
  public readonly userPoolIdOutput: CfnOutput;
  public readonly userPoolClientIdOutput: CfnOutput;
  /** The API key's id (not its value), for the pipeline's integration tests. */
  public readonly apiKeyIdOutput: CfnOutput;
  /** Assumed by the pipeline's integration-test step; where the config runs integration tests. */
  public readonly integrationTestRole?: IntegrationTestRole;
  public readonly integrationTestRoleArnOutput?: CfnOutput;
  /** Calls /health and an authenticated read on a schedule; its failures roll deployments back. */
  public readonly canary: ApiCanary;

  constructor(scope: Construct, id: string, props: ServerlessApiStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.userPool = this.createUserPool();
    this.userPoolClient = this.userPool.addClient('ApiClient', {
      authFlows: { userSrp: true, userPassword: true, adminUserPassword: true },
      accessTokenValidity: ACCESS_TOKEN_VALIDITY,
      idTokenValidity: ACCESS_TOKEN_VALIDITY,
      refreshTokenValidity: REFRESH_TOKEN_VALIDITY,
      preventUserExistenceErrors: true,
      // API tokens come from the SRP/password flows; no hosted UI, so no OAuth grants or callbacks.
      disableOAuth: true,
      readAttributes: new cognito.ClientAttributes().withStandardAttributes({
        email: true,
        givenName: true,
        familyName: true,
      }),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({
        email: true,
        givenName: true,
        familyName: true,
      }),
    });

    this.table = new dynamodb.Table(this, 'ApiDataTable', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.gsi1.indexName,
      partitionKey: { name: TABLE_SCHEMA.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.orderEventsDeadLetterQueue = new sqs.Queue(this, 'OrderEventsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: ORDER_EVENTS_DLQ_RETENTION,
      // Undelivered events are data: kept when the stack goes in prod.
      removalPolicy: config.removalPolicy,
    });
    this.orderEventsQueue = new sqs.Queue(this, 'OrderEventsQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: ORDER_EVENTS_RETENTION,
      // Undelivered events are data: kept when the stack goes in prod.
      removalPolicy: config.removalPolicy,
      // Longer than the consumer's timeout, so a message in flight is not handed out twice.
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: { queue: this.orderEventsDeadLetterQueue, maxReceiveCount: ORDER_EVENTS_MAX_RECEIVES },
    });

    this.functions = this.createFunctions(props);
    this.deployment = new CanaryDeployment(this, 'CanaryDeployment', {
      config,
      functions: Object.fromEntries(
        Object.entries<AppFunction>(this.functions).map(([name, fn]) => [name, fn.function])
      ) as Record<ApiFunctionName, lambda.Function>,
      errorsThresholds: { authorizer: AUTHORIZER_DEPLOY_GUARD_ERRORS_THRESHOLD },
    });
    const live = this.deployment.aliases;
    live.orderEvents.addEventSource(
      new lambdaEventSources.SqsEventSource(this.orderEventsQueue, {
        batchSize: ORDER_EVENTS_BATCH_SIZE,
        reportBatchItemFailures: true,
      })
    );

    this.authorizer = new apigw.RequestAuthorizer(this, 'CustomAuthorizer', {
      handler: live.authorizer,
      identitySources: [
        apigw.IdentitySource.header('Authorization'),
        apigw.IdentitySource.header('x-api-key'),
      ],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });

    this.api = this.createApi(props);
    this.apiKey = this.api.node.findChild(DEFAULT_API_KEY_ID) as apigw.ApiKey;
    if (config.waf) {
      this.waf = new ApiWaf(this, 'ApiWaf', {
        stage: this.api.deploymentStage,
        webAclName: `${config.name}-api`,
        rateLimitPer5Minutes: config.waf.rateLimitPer5Minutes,
        logRetention: config.logRetention,
        removalPolicy: config.removalPolicy,
      });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: `No WAFv2 web ACL in ${config.name} by config (waf: undefined): the API holds test data only; staging and prod have one.`,
      });
    }
    this.acknowledgeServerlessFindings();
    this.requestValidator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.addRoutes();
    this.deployment.addApiGuard(this.api);
    this.canary = new ApiCanary(this, 'ApiCanary', {
      config,
      api: this.api,
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
    });
    this.deployment.addCanaryGuard(this.canary.metricSuccessPercent());

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

  private createUserPool(): cognito.UserPool {
    const { config } = this;
    const userPool = new cognito.UserPool(this, 'ApiUserPool', {
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: PASSWORD_MIN_LENGTH,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        // The seed allowed no symbols; AwsSolutions-COG1 (and NIST) want them.
        requireSymbols: true,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      autoVerify: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        givenName: { required: true, mutable: true },
        familyName: { required: true, mutable: true },
      },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });
    new cognito.CfnUserPoolGroup(this, 'AdminsGroup', {
      userPoolId: userPool.userPoolId,
      groupName: ADMINS_GROUP,
      description: 'Administrators: manage products, list users, read any order',
    });
    Validations.of(userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'Self sign-up consumer API: MFA is optional (TOTP) so customers can enrol; admins are expected to enrol.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Essentials plan is a deliberate cost choice; threat protection (Plus) is an opt-in upgrade.',
      }
    );
    return userPool;
  }

  private createFunctions(props: ServerlessApiStackProps): Record<ApiFunctionName, AppFunction> {
    const { config } = props;
    const common = {
      TABLE_NAME: this.table.tableName,
      USER_POOL_ID: this.userPool.userPoolId,
      USER_POOL_CLIENT_ID: this.userPoolClient.userPoolClientId,
      CORS_ALLOWED_ORIGINS: config.api.corsOrigins.join(','),
    };
    const fn = (
      id: string,
      entry: string,
      description: string,
      environment: Record<string, string>,
      timeout?: Duration
    ) =>
      new AppFunction(this, id, {
        entry,
        description,
        config,
        serviceName: SERVICE_NAME,
        environment,
        timeout,
      });

    const functions: Record<ApiFunctionName, AppFunction> = {
      users: fn('UsersFunction', 'users', 'Handle user operations', common),
      products: fn('ProductsFunction', 'products', 'Handle product operations', common),
      orders: fn('OrdersFunction', 'orders', 'Handle order operations', {
        ...common,
        ORDER_EVENTS_QUEUE_URL: this.orderEventsQueue.queueUrl,
      }),
      // Verifies tokens only: no table access.
      authorizer: fn(
        'AuthorizerFunction',
        'authorizer',
        'Custom API Gateway authorizer',
        { USER_POOL_ID: this.userPool.userPoolId, USER_POOL_CLIENT_ID: this.userPoolClient.userPoolClientId },
        AUTHORIZER_TIMEOUT
      ),
      orderEvents: fn('OrderEventsFunction', 'order-events', 'Consume order events', {}),
    };

    const tableLogicalId = Stack.of(this).getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable);
    for (const name of ['users', 'products', 'orders'] as const) {
      this.table.grantReadWriteData(functions[name].function);
      functions[name].acknowledgeTableIndexAccess(tableLogicalId);
    }
    this.orderEventsQueue.grantSendMessages(functions.orders.function);
    return functions;
  }

  private createApi(props: ServerlessApiStackProps): apigw.RestApi {
    const { config } = props;
    const accessLogGroup = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    const api = new apigw.RestApi(this, 'ServerlessApi', {
      description: `Serverless API with Lambda and DynamoDB (${config.name})`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Clients identify themselves with x-api-key; the authorizer hands it to the usage plan.
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: true,
      defaultCorsPreflightOptions: {
        allowOrigins: [...config.api.corsOrigins],
        allowMethods: apigw.Cors.ALL_METHODS,
        allowHeaders: [...CORS_ALLOWED_HEADERS],
      },
      deployOptions: {
        stageName: config.name,
        throttlingRateLimit: config.api.throttlingRateLimit,
        throttlingBurstLimit: config.api.throttlingBurstLimit,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        dataTraceEnabled: config.api.dataTraceEnabled,
        metricsEnabled: true,
        tracingEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        cacheClusterEnabled: config.api.cachingEnabled,
        cacheClusterSize: config.api.cachingEnabled ? '0.5' : undefined,
        cacheDataEncrypted: config.api.cachingEnabled ? true : undefined,
        // Off for every method; only the caller-independent product catalog reads are cached
        // (`cached` in the route table), so a cached response never carries one caller's data to another.
        cachingEnabled: false,
        methodOptions: config.api.cachingEnabled
          ? Object.fromEntries(
              API_ROUTES.filter((route) => route.cached).map((route) => [
                `${route.resource}/${route.method}`,
                { cachingEnabled: true, cacheTtl: config.api.cacheTtl, cacheDataEncrypted: true },
              ])
            )
          : undefined,
      },
    });

    // When API Gateway answers itself (authorizer deny, missing key, body validation, throttling),
    // it uses our error shape (GATEWAY_RESPONSES) and CORS header, so browsers see a readable 4xx.
    const responseHeaders = { 'Access-Control-Allow-Origin': `'${config.api.corsOrigins[0]}'` };
    for (const { id, type, template } of GATEWAY_RESPONSES) {
      api.addGatewayResponse(id, {
        type: apigw.ResponseType.of(type),
        responseHeaders,
        templates: { 'application/json': template },
      });
    }

    const plan = api.addUsagePlan('DefaultUsagePlan', {
      description: 'Per-client throttling; clients send their key in x-api-key',
      throttle: USAGE_PLAN_THROTTLE,
    });
    plan.addApiStage({ stage: api.deploymentStage });
    // API Gateway generates the key value: it never appears in code or templates.
    plan.addApiKey(api.addApiKey(DEFAULT_API_KEY_ID, { description: 'First API client' }));

    Validations.of(api.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role; this AWS-maintained policy is the documented way to grant it.",
    });
    return api;
  }

  /** Serverless-pack findings that do not apply to how these resources are invoked. */
  private acknowledgeServerlessFindings(): void {
    const { functions } = this;
    for (const name of ['users', 'products', 'orders'] as const) {
      functions[name].acknowledgeNoAsyncInvocation(
        'API Gateway calls it through a Lambda proxy integration (synchronous); errors return as 5XX ' +
          'and raise the API-5XX and function-errors alarms'
      );
    }
    functions.authorizer.acknowledgeNoAsyncInvocation(
      'API Gateway calls it as the REQUEST authorizer (synchronous); a failure answers the request with 500'
    );
    functions.orderEvents.acknowledgeNoAsyncInvocation(
      'its SQS event source mapping polls and invokes it synchronously; messages that keep failing move ' +
        `to OrderEventsDeadLetterQueue after ${ORDER_EVENTS_MAX_RECEIVES} receives (the queue's redrive policy)`
    );

    const queueMappings = this.node
      .findAll()
      .filter(
        (c): c is lambda.CfnEventSourceMapping =>
          CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Lambda::EventSourceMapping'
      )
      .filter((mapping) => mapping.eventSourceArn === this.orderEventsQueue.queueArn);
    for (const mapping of queueMappings) {
      Validations.of(mapping).acknowledge({
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'Lambda supports no on-failure destination for SQS event sources; the source queue redrives ' +
          `messages that fail ${ORDER_EVENTS_MAX_RECEIVES} times to OrderEventsDeadLetterQueue, which is alarmed.`,
      });
    }

    Validations.of(this.orderEventsDeadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue of OrderEventsQueue: nothing consumes it, its messages stay ' +
        `${ORDER_EVENTS_DLQ_RETENTION.toDays()} days for inspection and redrive, and the ` +
        'OrderEvents-DLQ-Not-Empty alarm fires on the first one.',
    });
  }

  /**
   * The API's resources and methods, from the route table in lib/api/routes.ts (which the local dev
   * server serves too). Construct ids, and so logical ids, are the path parts and method names.
   */
  private addRoutes(): void {
    const proxied = API_ROUTES.filter((route) => route.integration.kind === 'lambda-proxy');
    // Resources, then models, then methods: the order of the Deployment's logical-id hash.
    for (const route of proxied) this.api.root.resourceForPath(route.resource);
    const models = Object.fromEntries(
      Object.entries(API_MODELS).map(([modelName, model]) => [
        modelName,
        this.api.addModel(`${modelName}Model`, {
          contentType: 'application/json',
          modelName,
          schema: {
            schema: apigw.JsonSchemaVersion.DRAFT4,
            type: apigw.JsonSchemaType.OBJECT,
            required: [...model.required],
            properties: Object.fromEntries(
              Object.entries(model.properties).map(([property, { minLength, maxLength }]) => [
                property,
                { type: apigw.JsonSchemaType.STRING, minLength, maxLength },
              ])
            ),
          },
        }),
      ])
    ) as Record<ApiModelName, apigw.Model>;

    for (const route of API_ROUTES) {
      const { integration } = route;
      if (integration.kind === 'mock') this.addMockRoute(route, integration);
      else this.addProxyRoute(route, integration.function, models);
    }
  }

  private addProxyRoute(
    route: ApiRoute,
    fn: 'users' | 'products' | 'orders',
    models: Record<ApiModelName, apigw.Model>
  ): void {
    if (route.authorization !== 'authorizer') {
      throw new Error(
        `${route.method} ${route.resource}: Lambda routes must use the authorizer, got ${route.authorization}`
      );
    }
    const { requestParameters } = route;
    const method = this.api.root.resourceForPath(route.resource).addMethod(
      route.method,
      new apigw.LambdaIntegration(
        this.deployment.aliases[fn],
        // Catalog reads are cached per page and id: the cache key is the declared parameters.
        route.cached && requestParameters ? { cacheKeyParameters: Object.keys(requestParameters) } : undefined
      ),
      {
        authorizer: this.authorizer,
        authorizationType: apigw.AuthorizationType.CUSTOM,
        apiKeyRequired: true,
        requestValidator: this.requestValidator,
        requestParameters: requestParameters ? { ...requestParameters } : undefined,
        requestModels: route.requestModel ? { 'application/json': models[route.requestModel] } : undefined,
      }
    );
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: AUTHORIZER_REASON });
  }

  /** A public route API Gateway answers itself (the /health liveness probe: no Lambda, no data). */
  private addMockRoute(route: ApiRoute, integration: MockIntegration): void {
    const statusCode = String(integration.statusCode);
    const method = this.api.root.resourceForPath(route.resource).addMethod(
      route.method,
      new apigw.MockIntegration({
        // The mock integration answers with the status its request template names.
        requestTemplates: { 'application/json': `{"statusCode": ${statusCode}}` },
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        integrationResponses: [
          { statusCode, responseTemplates: { 'application/json': integration.responseTemplate } },
        ],
      }),
      {
        authorizationType: apigw.AuthorizationType.NONE,
        methodResponses: [{ statusCode, responseModels: { 'application/json': apigw.Model.EMPTY_MODEL } }],
      }
    );
    const reason = 'Public liveness probe for deploy checks: a mock answer, no data, no Lambda.';
    Validations.of(method).acknowledge(
      { id: 'AwsSolutions-APIG4', reason },
      { id: 'AwsSolutions-COG4', reason }
    );
  }
}
