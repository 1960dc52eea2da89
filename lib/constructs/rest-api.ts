import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { type Construct } from 'constructs';
import {
  API_MODELS,
  API_ROUTES,
  type ApiModelName,
  type ApiRoute,
  CORS_ALLOWED_HEADERS,
  GATEWAY_RESPONSES,
  type MockIntegration,
  type RouteFunctionName,
} from '../api/routes';
import { type ApiConfig } from '../config';

/** Per-client throttling of the default usage plan (clients identified by x-api-key). */
export const USAGE_PLAN_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;
/** Construct id of the API key the API generates (the usage plan's first client). */
export const DEFAULT_API_KEY_ID = 'DefaultClientKey';
/** The API cache's size in GB, where the config turns the cache on. */
export const CACHE_CLUSTER_SIZE = '0.5';

const AUTHORIZER_REASON =
  'Every /v1 method uses the REQUEST Lambda authorizer, which verifies the Cognito token (signature, ' +
  'issuer, client, expiry) with aws-jwt-verify and requires an API key: Cognito authorization in code.';

export interface RestApiProps {
  /** The deployment stage's name (the environment's). */
  readonly stageName: string;
  /** CORS origins, stage throttling, data trace and cache of the environment. */
  readonly settings: ApiConfig;
  /** Where the stage writes its JSON access log. */
  readonly accessLogs: logs.ILogGroup;
  /** Guards every route whose `authorization` is `authorizer`. */
  readonly authorizer: apigw.IAuthorizer;
  /** The function behind each Lambda proxy route (its `live` alias, for safe deployments). */
  readonly handlers: Readonly<Record<RouteFunctionName, lambda.IFunction>>;
  /** @default API_ROUTES (lib/api/routes.ts), which the local dev server serves too */
  readonly routes?: readonly ApiRoute[];
}

/**
 * The REST API, built from the route table: REGIONAL, CORS for the configured origins, our error
 * shape on API Gateway's own answers, a usage plan with a generated API key, body and parameter
 * validation, the Lambda proxy routes behind the authorizer and the public mock /health. The stage
 * is traced, throttled, access-logged, and caches only the caller-independent catalog reads.
 */
export class RestApi extends apigw.RestApi {
  /** The generated key of the usage plan (`x-api-key`); its value never appears in a template. */
  public readonly apiKey: apigw.IApiKey;
  public readonly usagePlan: apigw.UsagePlan;
  /** Checks body and parameters of every Lambda route. */
  public readonly requestValidator: apigw.RequestValidator;

  constructor(scope: Construct, id: string, props: RestApiProps) {
    const { settings } = props;
    const routes = props.routes ?? API_ROUTES;
    if (settings.corsOrigins.length === 0)
      throw new Error('corsOrigins must name at least one origin, got []');
    super(scope, id, {
      description: `Serverless API with Lambda and DynamoDB (${props.stageName})`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Clients identify themselves with x-api-key; the authorizer hands it to the usage plan.
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: true,
      defaultCorsPreflightOptions: {
        allowOrigins: [...settings.corsOrigins],
        allowMethods: apigw.Cors.ALL_METHODS,
        allowHeaders: [...CORS_ALLOWED_HEADERS],
      },
      deployOptions: stageOptions(props.stageName, settings, props.accessLogs, routes),
    });

    // When API Gateway answers itself (authorizer deny, missing key, body validation, throttling),
    // it uses our error shape (GATEWAY_RESPONSES) and CORS header, so browsers see a readable 4xx.
    const responseHeaders = { 'Access-Control-Allow-Origin': `'${settings.corsOrigins[0]}'` };
    for (const { id: responseId, type, template, statusCode } of GATEWAY_RESPONSES) {
      this.addGatewayResponse(responseId, {
        type: apigw.ResponseType.of(type),
        statusCode,
        responseHeaders,
        templates: { 'application/json': template },
      });
    }

    this.usagePlan = this.addUsagePlan('DefaultUsagePlan', {
      description: 'Per-client throttling; clients send their key in x-api-key',
      throttle: USAGE_PLAN_THROTTLE,
    });
    this.usagePlan.addApiStage({ stage: this.deploymentStage });
    // API Gateway generates the key value: it never appears in code or templates.
    this.apiKey = this.addApiKey(DEFAULT_API_KEY_ID, { description: 'First API client' });
    this.usagePlan.addApiKey(this.apiKey);

    Validations.of(this.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role; this AWS-maintained policy is the documented way to grant it.",
    });

    this.requestValidator = this.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.addRoutes(routes, props);
  }

  /**
   * The API's resources and methods, from the route table. Construct ids, and so logical ids, are
   * the path parts and method names.
   */
  private addRoutes(routes: readonly ApiRoute[], props: RestApiProps): void {
    const proxied = routes.filter((route) => route.integration.kind === 'lambda-proxy');
    // Resources, then models, then methods: the order of the Deployment's logical-id hash.
    for (const route of proxied) this.root.resourceForPath(route.resource);
    const models = Object.fromEntries(
      Object.entries(API_MODELS).map(([modelName, model]) => [
        modelName,
        this.addModel(`${modelName}Model`, {
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

    for (const route of routes) {
      const { integration } = route;
      if (integration.kind === 'mock') this.addMockRoute(route, integration);
      else this.addProxyRoute(route, props.handlers[integration.function], props.authorizer, models);
    }
  }

  private addProxyRoute(
    route: ApiRoute,
    handler: lambda.IFunction,
    authorizer: apigw.IAuthorizer,
    models: Record<ApiModelName, apigw.Model>
  ): void {
    if (route.authorization !== 'authorizer') {
      throw new Error(
        `${route.method} ${route.resource}: Lambda routes must use the authorizer, got ${route.authorization}`
      );
    }
    const { requestParameters } = route;
    const method = this.root.resourceForPath(route.resource).addMethod(
      route.method,
      new apigw.LambdaIntegration(
        handler,
        // Catalog reads are cached per page and id: the cache key is the declared parameters.
        route.cached && requestParameters ? { cacheKeyParameters: Object.keys(requestParameters) } : undefined
      ),
      {
        authorizer,
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
    const method = this.root.resourceForPath(route.resource).addMethod(
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

/** The stage: traced, throttled, logged; cached only where a route says `cached` and the config has a cache. */
function stageOptions(
  stageName: string,
  settings: ApiConfig,
  accessLogs: logs.ILogGroup,
  routes: readonly ApiRoute[]
): apigw.StageOptions {
  const { cachingEnabled } = settings;
  return {
    stageName,
    throttlingRateLimit: settings.throttlingRateLimit,
    throttlingBurstLimit: settings.throttlingBurstLimit,
    loggingLevel: apigw.MethodLoggingLevel.INFO,
    dataTraceEnabled: settings.dataTraceEnabled,
    metricsEnabled: true,
    tracingEnabled: true,
    accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
    accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
    cacheClusterEnabled: cachingEnabled,
    cacheClusterSize: cachingEnabled ? CACHE_CLUSTER_SIZE : undefined,
    cacheDataEncrypted: cachingEnabled ? true : undefined,
    // Off for every method; only the caller-independent product catalog reads are cached
    // (`cached` in the route table), so a cached response never carries one caller's data to another.
    cachingEnabled: false,
    methodOptions: cachingEnabled
      ? Object.fromEntries(
          routes
            .filter((route) => route.cached)
            .map((route) => [
              `${route.resource}/${route.method}`,
              { cachingEnabled: true, cacheTtl: settings.cacheTtl, cacheDataEncrypted: true },
            ])
        )
      : undefined,
  };
}
