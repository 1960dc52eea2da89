import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { type IConstruct } from 'constructs';
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  ENVIRONMENT_NAMES,
  type EnvironmentName,
  loadEnvironments,
  METRIC_NAMESPACES,
  SERVICE_NAMES,
  TABLE_SCHEMA,
} from '../../lib/config';
import { type ApiFunctionName } from '../../lib/constructs/api-functions';
import { collectAcknowledgements } from '../../lib/compliance/nag-gate';
import {
  WAF_LOG_GROUP_PREFIX,
  WAF_MANAGED_RULE_GROUPS,
  WAF_REDACTED_HEADERS,
} from '../../lib/constructs/api-waf';
import {
  CANARY_ARTIFACTS_EXPIRATION,
  CANARY_RUNTIME,
  CANARY_USERNAME,
  canaryCode,
} from '../../lib/constructs/api-canary';
import { FUNCTION_RUNTIME } from '../../lib/constructs/app-function';
import {
  DEPLOY_GUARD_API_5XX_THRESHOLD,
  DEPLOY_GUARD_ERRORS_THRESHOLD,
  LIVE_ALIAS_NAME,
} from '../../lib/constructs/canary-deployment';
import {
  CANARY_USER_PROVIDER_ACTIONS,
  CANARY_USER_RESOURCE_TYPE,
  CANARY_USER_SERVICE_TIMEOUT,
} from '../../lib/constructs/canary-user';
import { WAF_BLOCKED_REQUESTS_THRESHOLD } from '../../lib/constructs/service-alarms';
import { ServerlessApiStack } from '../../lib/stacks/serverless-api-stack';
import { AppStage } from '../../stages/app-stage';
import { testApp } from '../support/app';
import { stageTemplate } from '../support/templates';

/*
 * The ServerlessApi stack of every environment, from the assembly the jest global setup
 * synthesized for this run: how its constructs are wired together and what differs per
 * environment. What each construct makes of its props is tested on a bare stack under
 * test/constructs/.
 */
const configs = loadEnvironments(testApp().node);
const templates = Object.fromEntries(
  ENVIRONMENT_NAMES.map((env) => [env, stageTemplate(env, 'ServerlessApi')])
) as Record<EnvironmentName, Template>;
const { dev, staging, prod } = templates;
/** Construct objects, for what a template does not show (acknowledgements, outputs' owners). */
const devStage = new AppStage(testApp(), 'dev', { config: configs.dev });
const devStack = devStage.api;
const ALL_ENVS = ENVIRONMENT_NAMES.map((env) => [env] as const);
const FUNCTION_NAMES: readonly ApiFunctionName[] = [
  'users',
  'products',
  'orders',
  'authorizer',
  'orderEvents',
];

// ---------------------------------------------------------------------------------------------
// Template access
// ---------------------------------------------------------------------------------------------

type Resource<P = Record<string, unknown>> = {
  readonly Type: string;
  readonly Properties: P;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string[];
  readonly UpdatePolicy?: Record<string, unknown>;
};
/** A reference as CloudFormation writes it: `{ Ref }` or `{ Fn::GetAtt: [id, attr] }`. */
type Reference = { readonly Ref?: string; readonly 'Fn::GetAtt'?: readonly [string, string] };
type Statement = {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
};
type PolicyProps = {
  readonly PolicyDocument: { readonly Statement: Statement[] };
  readonly Roles: Reference[];
};
type RoleProps = {
  readonly ManagedPolicyArns?: unknown[];
  readonly Policies?: { PolicyDocument: { Statement: Statement[] } }[];
};
type FunctionProps = {
  readonly Timeout: number;
  readonly ReservedConcurrentExecutions?: number;
  readonly Environment: { Variables: Record<string, unknown> };
  readonly LoggingConfig: { LogGroup: Reference };
  readonly Role: Reference;
};
type IntegrationResponse = {
  readonly StatusCode: string;
  readonly ResponseParameters?: Record<string, string>;
  readonly ResponseTemplates?: Record<string, string>;
};
type MethodProps = {
  readonly HttpMethod: string;
  readonly ResourceId: Reference;
  readonly AuthorizationType: string;
  readonly AuthorizerId?: Reference;
  readonly ApiKeyRequired?: boolean;
  readonly RequestValidatorId?: Reference;
  readonly RequestModels?: Record<string, Reference>;
  readonly RequestParameters?: Record<string, boolean>;
  readonly Integration: {
    readonly Type: string;
    readonly Uri?: unknown;
    readonly CacheKeyParameters?: string[];
    readonly RequestTemplates?: Record<string, string>;
    readonly IntegrationResponses?: IntegrationResponse[];
  };
};
type MethodSetting = {
  readonly ResourcePath: string;
  readonly HttpMethod: string;
  readonly CachingEnabled?: boolean;
  readonly DataTraceEnabled?: boolean;
};
type StageProps = {
  readonly StageName: string;
  readonly CacheClusterEnabled?: boolean;
  readonly CacheClusterSize?: string;
  readonly TracingEnabled?: boolean;
  readonly AccessLogSetting: { DestinationArn: unknown; Format: string };
  readonly MethodSettings: MethodSetting[];
};

function resourcesOfType<P = Record<string, unknown>>(
  template: Template,
  type: string
): [string, Resource<P>][] {
  return Object.entries(template.toJSON().Resources as Record<string, Resource<P>>).filter(
    ([, r]) => r.Type === type
  );
}

function resourceById<P = Record<string, unknown>>(template: Template, logicalId: string): Resource<P> {
  const resource = (template.toJSON().Resources as Record<string, Resource<P> | undefined>)[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  return resource;
}

function onlyOne<P = Record<string, unknown>>(
  template: Template,
  type: string,
  include: (logicalId: string) => boolean = () => true
): [string, Resource<P>] {
  const found = resourcesOfType<P>(template, type).filter(([id]) => include(id));
  expect(found).toHaveLength(1);
  return found[0]!;
}

/**
 * The logical id of the one resource of a type whose id starts with a construct id: logical ids
 * are a contract (test/stacks/logical-ids.test.ts), so their construct-id prefixes are stable.
 */
function idOf(template: Template, type: string, prefix = ''): string {
  const found = resourcesOfType(template, type).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${found.length}`);
  return found[0]![0];
}

/** The API canary has its own key and usage plan (asserted further down). */
const NOT_THE_CANARYS = (logicalId: string) => !logicalId.startsWith('ApiCanary');

const pascal = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/** Logical ids of the stack's resources, read off its template. */
function idsOf(t: Template) {
  const fn = (name: ApiFunctionName) => ({
    function: idOf(t, 'AWS::Lambda::Function', `${pascal(name)}Function`),
    /** The `live` alias: what API Gateway, the authorizer and the event source invoke. */
    alias: idOf(t, 'AWS::Lambda::Alias', `${pascal(name)}FunctionAliaslive`),
    role: idOf(t, 'AWS::IAM::Role', `${pascal(name)}FunctionRole`),
    logGroup: idOf(t, 'AWS::Logs::LogGroup', `${pascal(name)}FunctionLogGroup`),
    group: idOf(t, 'AWS::CodeDeploy::DeploymentGroup', `CanaryDeployment${pascal(name)}DeploymentGroup`),
    errorsAlarm: resourcesOfType(t, 'AWS::CloudWatch::Alarm')
      .map(([id]) => id)
      .find((id) => id.startsWith(`CanaryDeployment${pascal(name)}ErrorsAlarm`)),
  });
  return {
    userPool: idOf(t, 'AWS::Cognito::UserPool'),
    userPoolClient: idOf(t, 'AWS::Cognito::UserPoolClient'),
    table: idOf(t, 'AWS::DynamoDB::Table'),
    queue: idOf(t, 'AWS::SQS::Queue', 'OrderEventsQueue'),
    deadLetterQueue: idOf(t, 'AWS::SQS::Queue', 'OrderEventsDeadLetterQueue'),
    authorizer: idOf(t, 'AWS::ApiGateway::Authorizer'),
    requestValidator: idOf(t, 'AWS::ApiGateway::RequestValidator'),
    api: idOf(t, 'AWS::ApiGateway::RestApi'),
    apiCloudWatchRole: idOf(t, 'AWS::IAM::Role', 'ServerlessApiCloudWatchRole'),
    stage: idOf(t, 'AWS::ApiGateway::Stage'),
    accessLogs: idOf(t, 'AWS::Logs::LogGroup', 'ApiAccessLogs'),
    deploymentRole: idOf(t, 'AWS::IAM::Role', 'CanaryDeploymentServiceRole'),
    deploymentApplication: idOf(t, 'AWS::CodeDeploy::Application'),
    canary: {
      canary: idOf(t, 'AWS::Synthetics::Canary'),
      role: idOf(t, 'AWS::IAM::Role', 'ApiCanaryServiceRole'),
      userSecret: idOf(t, 'AWS::SecretsManager::Secret', 'ApiCanaryUserSecret'),
      apiKeySecret: idOf(t, 'AWS::SecretsManager::Secret', 'ApiCanaryApiKeySecret'),
      apiKey: idOf(t, 'AWS::ApiGateway::ApiKey', 'ApiCanary'),
      usagePlan: idOf(t, 'AWS::ApiGateway::UsagePlan', 'ApiCanary'),
      bucket: idOf(t, 'AWS::S3::Bucket', 'ApiCanary'),
      user: idOf(t, 'Custom::ApiCanaryUser'),
      provider: idOf(t, 'AWS::Lambda::Function', 'ApiCanaryUserProvider'),
      providerRole: idOf(t, 'AWS::IAM::Role', 'ApiCanaryUserProviderRole'),
    },
    functions: {
      users: fn('users'),
      products: fn('products'),
      orders: fn('orders'),
      authorizer: fn('authorizer'),
      orderEvents: fn('orderEvents'),
    } satisfies Record<ApiFunctionName, unknown>,
  };
}
const ids: Record<EnvironmentName, ReturnType<typeof idsOf>> = {
  dev: idsOf(dev),
  staging: idsOf(staging),
  prod: idsOf(prod),
};

const getAttArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** Every Allow statement of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function statementsOfRole(template: Template, roleId: string): Statement[] {
  const role = resourceById<RoleProps>(template, roleId);
  const inline = (role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
  const attached = resourcesOfType<PolicyProps>(template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  return [...inline, ...attached];
}

const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

// ---------------------------------------------------------------------------------------------
// API resources and methods
// ---------------------------------------------------------------------------------------------

interface ApiMethod {
  readonly id: string;
  readonly path: string;
  readonly props: MethodProps;
}

/** `/v1/users/{userId}` of a method, built by walking the AWS::ApiGateway::Resource parents. */
function resourcePath(template: Template, ref: Reference): string {
  if (ref['Fn::GetAtt']?.[1] === 'RootResourceId') return '/';
  if (!ref.Ref) throw new Error(`unexpected resource reference ${JSON.stringify(ref)}`);
  const resource = resourceById<{ ParentId: Reference; PathPart: string }>(template, ref.Ref);
  expect(resource.Type).toBe('AWS::ApiGateway::Resource');
  const parent = resourcePath(template, resource.Properties.ParentId);
  return `${parent === '/' ? '' : parent}/${resource.Properties.PathPart}`;
}

function methodsOf(template: Template): ApiMethod[] {
  return resourcesOfType<MethodProps>(template, 'AWS::ApiGateway::Method').map(([id, r]) => ({
    id,
    path: resourcePath(template, r.Properties.ResourceId),
    props: r.Properties,
  }));
}

function methodAt(template: Template, resource: string, httpMethod: string): MethodProps {
  const found = methodsOf(template).filter((m) => m.path === resource && m.props.HttpMethod === httpMethod);
  expect(found).toHaveLength(1);
  return found[0]!.props;
}

const nonOptionsRoutes = (template: Template) =>
  methodsOf(template)
    .filter((m) => m.props.HttpMethod !== 'OPTIONS')
    .map((m) => `${m.props.HttpMethod} ${m.path}`)
    .sort();

/** The Lambda proxy integration URI API Gateway builds for a function's alias. */
const lambdaUri = (aliasId: string) => ({
  'Fn::Join': [
    '',
    [
      expect.stringMatching(/^arn:aws:apigateway:us-east-1:lambda:path\/2015-03-31\/functions\/$/),
      { Ref: aliasId },
      '/invocations',
    ],
  ],
});

/** Every /v1 route as designed: [resource path, HTTP method, function]. */
const V1_ROUTES: readonly (readonly [string, string, ApiFunctionName])[] = [
  ['/v1/users', 'GET', 'users'],
  ['/v1/users', 'POST', 'users'],
  ['/v1/users/{userId}', 'GET', 'users'],
  ['/v1/users/{userId}', 'PUT', 'users'],
  ['/v1/users/{userId}', 'DELETE', 'users'],
  ['/v1/products', 'ANY', 'products'],
  ['/v1/products', 'GET', 'products'],
  ['/v1/products/{proxy+}', 'ANY', 'products'],
  ['/v1/products/{proxy+}', 'GET', 'products'],
  ['/v1/orders', 'ANY', 'orders'],
  ['/v1/orders/{proxy+}', 'ANY', 'orders'],
];

const TABLE_FUNCTIONS: readonly ApiFunctionName[] = ['users', 'products', 'orders'];

// ---------------------------------------------------------------------------------------------
// Cognito
// ---------------------------------------------------------------------------------------------

describe('Cognito user pool', () => {
  const pool = (t: Template, env: EnvironmentName) => resourceById(t, ids[env].userPool);

  test('lets users sign themselves up and sign in with their email address as username', () => {
    expect(pool(prod, 'prod').Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UsernameAttributes: ['email'],
    });
    expect(pool(prod, 'prod').Properties.AliasAttributes).toBeUndefined();
  });

  test('requires passwords of at least 8 characters with upper, lower, digits and symbols', () => {
    expect(pool(prod, 'prod').Properties.Policies).toEqual({
      PasswordPolicy: {
        MinimumLength: 8,
        RequireUppercase: true,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
      },
    });
  });

  test('recovers accounts by verified email only and auto-verifies email', () => {
    expect(pool(prod, 'prod').Properties).toMatchObject({
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      AutoVerifiedAttributes: ['email'],
    });
  });

  test('requires email, given_name and family_name', () => {
    expect(pool(prod, 'prod').Properties.Schema).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Name: 'email', Required: true }),
        expect.objectContaining({ Name: 'given_name', Required: true }),
        expect.objectContaining({ Name: 'family_name', Required: true }),
      ])
    );
  });

  test('has an admins group', () => {
    prod.hasResourceProperties('AWS::Cognito::UserPoolGroup', {
      GroupName: 'admins',
      UserPoolId: { Ref: ids.prod.userPool },
    });
  });

  test('prod retains the pool with deletion protection; dev and staging delete it', () => {
    expect(pool(prod, 'prod')).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { DeletionProtection: 'ACTIVE' },
    });
    for (const env of ['dev', 'staging'] as const) {
      expect(pool(templates[env], env)).toMatchObject({
        DeletionPolicy: 'Delete',
        Properties: { DeletionProtection: 'INACTIVE' },
      });
    }
  });
});

describe('Cognito app client', () => {
  const client = (env: EnvironmentName) => resourceById(templates[env], ids[env].userPoolClient).Properties;

  test('belongs to the user pool; prod allows SRP, password (the canary) and refresh flows only', () => {
    expect(client('prod').UserPoolId).toEqual({ Ref: ids.prod.userPool });
    expect([...(client('prod').ExplicitAuthFlows as string[])].sort()).toEqual([
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
  });

  test('dev and staging also allow the admin password flow (operators), as their config says', () => {
    for (const env of ['dev', 'staging'] as const) {
      expect(configs[env].identity.adminUserPasswordAuth).toBe(true);
      expect(client(env).ExplicitAuthFlows).toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
    }
  });

  test('issues 60-minute access and id tokens and 30-day refresh tokens', () => {
    expect(client('prod')).toMatchObject({
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 30 * 24 * 60,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  test('is a public client (no secret) that hides whether a user exists', () => {
    expect(client('prod').GenerateSecret).toBeUndefined();
    expect(client('prod').PreventUserExistenceErrors).toBe('ENABLED');
  });
});

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

describe('DynamoDB table', () => {
  const table = (env: EnvironmentName) => resourceById(templates[env], ids[env].table);

  test('is keyed by string PK/SK with GSI1 on string GSI1PK/GSI1SK projecting ALL', () => {
    expect(table('prod').Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'GSI1',
          KeySchema: [
            { AttributeName: 'GSI1PK', KeyType: 'HASH' },
            { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect(table('prod').Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        ['PK', 'SK', 'GSI1PK', 'GSI1SK'].map((name) => ({ AttributeName: name, AttributeType: 'S' }))
      )
    );
    expect(table('prod').Properties.AttributeDefinitions).toHaveLength(4);
  });

  test('uses the key names of TABLE_SCHEMA, which the handlers and the DynamoDB Local tests share', () => {
    const props = table('prod').Properties as {
      KeySchema: { AttributeName: string }[];
      GlobalSecondaryIndexes: { IndexName: string; KeySchema: { AttributeName: string }[] }[];
    };
    expect(props.KeySchema.map((k) => k.AttributeName)).toEqual([
      TABLE_SCHEMA.partitionKey,
      TABLE_SCHEMA.sortKey,
    ]);
    expect(
      props.GlobalSecondaryIndexes.map((i) => [i.IndexName, ...i.KeySchema.map((k) => k.AttributeName)])
    ).toEqual([[TABLE_SCHEMA.gsi1.indexName, TABLE_SCHEMA.gsi1.partitionKey, TABLE_SCHEMA.gsi1.sortKey]]);
  });

  test('bills on demand, streams new and old images, has PITR and server-side encryption', () => {
    expect(table('prod').Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table('prod').Properties.ProvisionedThroughput).toBeUndefined();
  });

  test('prod retains the table with deletion protection; dev and staging delete it', () => {
    expect(table('prod')).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true },
    });
    for (const env of ['dev', 'staging'] as const) {
      expect(table(env)).toMatchObject({
        DeletionPolicy: 'Delete',
        Properties: { DeletionProtectionEnabled: false },
      });
    }
  });

  test('is the only table of the stack', () => {
    expect(resourcesOfType(prod, 'AWS::DynamoDB::Table')).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Lambda functions
// ---------------------------------------------------------------------------------------------

describe('Lambda functions', () => {
  const fn = (env: EnvironmentName, name: ApiFunctionName) =>
    resourceById<FunctionProps>(templates[env], ids[env].functions[name].function).Properties;

  test("the stack has exactly the five API functions, the canary user's provider and, where admins need MFA, the pre token trigger", () => {
    const functionsOf = (t: Template) =>
      resourcesOfType(t, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort();
    for (const env of ENVIRONMENT_NAMES) {
      const expected = [
        ...FUNCTION_NAMES.map((name) => ids[env].functions[name].function),
        // The Custom::ApiCanaryUser provider (the API canary, below).
        ids[env].canary.provider,
      ];
      if (configs[env].identity.adminsRequireMfa) {
        expected.push(idOf(templates[env], 'AWS::Lambda::Function', 'PreTokenGeneration'));
      }
      expect(functionsOf(templates[env])).toEqual(expected.sort());
    }
  });

  test('staging and prod pools run the pre token trigger that keeps admins without MFA out of the group; dev none', () => {
    for (const env of ['staging', 'prod'] as const) {
      expect(configs[env].identity.adminsRequireMfa).toBe(true);
      expect(resourceById(templates[env], ids[env].userPool).Properties).toMatchObject({
        MfaConfiguration: 'OPTIONAL',
        LambdaConfig: {
          PreTokenGeneration: getAttArn(idOf(templates[env], 'AWS::Lambda::Function', 'PreTokenGeneration')),
        },
      });
    }
    expect(resourceById(dev, ids.dev.userPool).Properties.LambdaConfig).toBeUndefined();
  });

  test('every pool keeps the original e-mail until a change is verified', () => {
    for (const env of ENVIRONMENT_NAMES) {
      expect(resourceById(templates[env], ids[env].userPool).Properties.UserAttributeUpdateSettings).toEqual({
        AttributesRequireVerificationBeforeUpdate: ['email'],
      });
    }
  });

  test.each(FUNCTION_NAMES.map((name) => [name] as const))(
    '%s: nodejs24.x on arm64, 256 MB, X-Ray active, source maps on',
    (name) => {
      expect(fn('prod', name)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      });
    }
  );

  test('time out as configured, under API Gateway 29 s; the authorizer first; order events after 30 s', () => {
    for (const env of ENVIRONMENT_NAMES) {
      for (const name of ['users', 'products', 'orders', 'authorizer'] as const) {
        expect(fn(env, name).Timeout).toBe(configs[env].functions[name].timeout.toSeconds());
        expect(fn(env, name).Timeout).toBeLessThan(29);
      }
      expect(fn(env, 'users').Timeout).toBe(10);
      expect(fn(env, 'orders').Timeout).toBe(20);
      expect(fn(env, 'authorizer').Timeout).toBe(5);
      expect(fn(env, 'orderEvents').Timeout).toBe(30);
    }
  });

  test('reserve concurrency for orders and the authorizer in staging and prod only', () => {
    const reserved = (env: EnvironmentName) =>
      FUNCTION_NAMES.map((name) => [name, fn(env, name).ReservedConcurrentExecutions] as const).filter(
        ([, n]) => n !== undefined
      );
    expect(reserved('dev')).toEqual([]);
    expect(Object.fromEntries(reserved('staging'))).toEqual({ orders: 50, authorizer: 50 });
    expect(Object.fromEntries(reserved('prod'))).toEqual({ orders: 200, authorizer: 200 });
  });

  test.each(FUNCTION_NAMES.map((name) => [name] as const))(
    '%s: logs for service api-service at DEBUG in dev and INFO in staging and prod',
    (name) => {
      for (const [env, level] of [
        ['dev', 'DEBUG'],
        ['staging', 'INFO'],
        ['prod', 'INFO'],
      ] as const) {
        expect(fn(env, name).Environment.Variables).toMatchObject({
          POWERTOOLS_SERVICE_NAME: 'api-service',
          LOG_LEVEL: level,
        });
      }
    }
  );

  test.each(TABLE_FUNCTIONS.map((name) => [name] as const))(
    '%s: is told the table name and the user pool id',
    (name) => {
      expect(fn('prod', name).Environment.Variables).toMatchObject({
        TABLE_NAME: { Ref: ids.prod.table },
        USER_POOL_ID: { Ref: ids.prod.userPool },
      });
    }
  );

  test('the authorizer is told the user pool and app client (it verifies their tokens) but not the table', () => {
    const variables = fn('prod', 'authorizer').Environment.Variables;
    expect(variables).toMatchObject({
      USER_POOL_ID: { Ref: ids.prod.userPool },
      USER_POOL_CLIENT_ID: { Ref: ids.prod.userPoolClient },
    });
    expect(variables.TABLE_NAME).toBeUndefined();
  });

  test('the order-events consumer gets only the common settings: it touches neither table nor pool', () => {
    expect(Object.keys(fn('prod', 'orderEvents').Environment.Variables).sort()).toEqual([
      'LOG_LEVEL',
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
    ]);
  });

  test('only the orders function is told the order-events queue URL', () => {
    expect(fn('prod', 'orders').Environment.Variables.ORDER_EVENTS_QUEUE_URL).toEqual({
      Ref: ids.prod.queue,
    });
    for (const name of FUNCTION_NAMES.filter((n) => n !== 'orders')) {
      expect(fn('prod', name).Environment.Variables.ORDER_EVENTS_QUEUE_URL).toBeUndefined();
    }
  });

  test.each(FUNCTION_NAMES.map((name) => [name] as const))(
    '%s: logs to its own log group, kept 7 days in dev, 30 in staging, 90 in prod',
    (name) => {
      for (const [env, days, policy] of [
        ['dev', 7, 'Delete'],
        ['staging', 30, 'Delete'],
        ['prod', 90, 'Retain'],
      ] as const) {
        const logGroupId = ids[env].functions[name].logGroup;
        expect(fn(env, name).LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
        expect(resourceById(templates[env], logGroupId)).toMatchObject({
          Type: 'AWS::Logs::LogGroup',
          DeletionPolicy: policy,
          Properties: { RetentionInDays: days },
        });
      }
    }
  );

  test('each function runs as its own role', () => {
    const roles = FUNCTION_NAMES.map((name) => fn('prod', name).Role);
    expect(roles).toEqual(FUNCTION_NAMES.map((name) => getAttArn(ids.prod.functions[name].role)));
    expect(new Set(roles.map((r) => JSON.stringify(r))).size).toBe(FUNCTION_NAMES.length);
  });
});

// ---------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------

describe('least privilege', () => {
  const statements = (name: ApiFunctionName) => statementsOfRole(prod, ids.prod.functions[name].role);
  const actions = (name: ApiFunctionName) => statements(name).flatMap(actionsOf);

  test('the authorizer has no DynamoDB or SQS permission at all', () => {
    expect(actions('authorizer').length).toBeGreaterThan(0);
    expect(actions('authorizer').filter((a) => /^(dynamodb|sqs):/i.test(a))).toEqual([]);
  });

  test.each([
    ['users', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']],
    [
      'products',
      [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
    ],
    ['orders', ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
  ] as const)(
    '%s may use only the item actions it calls on the table, and Query on GSI1',
    (name, itemActions) => {
      const dynamo = statements(name).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: [...itemActions].sort(),
          Resource: getAttArn(ids.prod.table),
        }),
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: {
            'Fn::Join': ['', [getAttArn(ids.prod.table), `/index/${TABLE_SCHEMA.gsi1.indexName}`]],
          },
        }),
      ]);
      const all = dynamo.flatMap(actionsOf);
      expect(all).not.toContain('dynamodb:Scan');
      expect(all).not.toContain('dynamodb:BatchWriteItem');
      expect(JSON.stringify(dynamo)).not.toContain('/index/*');
    }
  );

  test('the order-events consumer has no table access', () => {
    expect(actions('orderEvents').filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  test('only the orders function may send to the order-events queue', () => {
    const send = statements('orders').filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(send).toEqual([expect.objectContaining({ Effect: 'Allow', Resource: getAttArn(ids.prod.queue) })]);
    for (const name of FUNCTION_NAMES.filter((n) => n !== 'orders')) {
      expect(actions(name)).not.toContain('sqs:SendMessage');
    }
  });

  test('the order-events consumer receives from (only) its queue', () => {
    const receive = statements('orderEvents').filter((s) => actionsOf(s).includes('sqs:ReceiveMessage'));
    expect(receive).toEqual([expect.objectContaining({ Resource: getAttArn(ids.prod.queue) })]);
    expect(actions('orderEvents')).toEqual(expect.arrayContaining(['sqs:DeleteMessage']));
  });

  test.each(FUNCTION_NAMES.map((name) => [name] as const))(
    '%s writes logs only to its own log group; only X-Ray actions are on Resource *',
    (name) => {
      const logs = statements(name).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        expect.objectContaining({ Resource: getAttArn(ids.prod.functions[name].logGroup) }),
      ]);
      const wildcard = statements(name).filter((s) => JSON.stringify(s.Resource) === '"*"');
      expect(wildcard.flatMap(actionsOf).filter((a) => !a.startsWith('xray:'))).toEqual([]);
    }
  );

  test("no role has an AWS managed policy, except API Gateway's logging role and CodeDeploy's role", () => {
    const roles = resourcesOfType<RoleProps>(prod, 'AWS::IAM::Role');
    const withManaged = roles.filter(([, r]) => r.Properties.ManagedPolicyArns !== undefined);
    const managed = Object.fromEntries(
      withManaged.map(([id, r]) => [id, JSON.stringify(r.Properties.ManagedPolicyArns)])
    );
    expect(managed).toEqual({
      [ids.prod.apiCloudWatchRole]: expect.stringMatching(
        /:iam::aws:policy\/service-role\/AmazonAPIGatewayPushToCloudWatchLogs"\]\]\}\]$/
      ),
      [ids.prod.deploymentRole]: expect.stringMatching(
        /:iam::aws:policy\/service-role\/AWSCodeDeployRoleForLambdaLimited"\]\]\}\]$/
      ),
    });
    for (const [, role] of withManaged) expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
    // + API Gateway's logging role, CodeDeploy's, the API canary's and its user provider's
    // (the API canary, below), and the pre token trigger's (admins need MFA in prod).
    expect(roles.length).toBe(FUNCTION_NAMES.length + 5);
  });
});

// ---------------------------------------------------------------------------------------------
// SQS
// ---------------------------------------------------------------------------------------------

describe('order-events queue', () => {
  const queue = () => resourceById(prod, ids.prod.queue).Properties;
  const dlq = () => resourceById(prod, ids.prod.deadLetterQueue).Properties;

  test('is SSE-encrypted and keeps messages 4 days', () => {
    expect(queue()).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 4 * 24 * 3600 });
  });

  test('dead-letters a message after 3 receives to an encrypted DLQ that keeps it 14 days', () => {
    expect(queue().RedrivePolicy).toEqual({
      deadLetterTargetArn: getAttArn(ids.prod.deadLetterQueue),
      maxReceiveCount: 3,
    });
    expect(dlq()).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  test('both queues deny any request not made over TLS', () => {
    for (const id of [ids.prod.queue, ids.prod.deadLetterQueue]) {
      prod.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: getAttArn(id),
            },
          ],
        },
      });
    }
  });

  test("feeds the order-events function's live alias in batches of 10, reporting per-message failures", () => {
    const [, mapping] = onlyOne<Record<string, unknown>>(prod, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties).toEqual({
      EventSourceArn: getAttArn(ids.prod.queue),
      // `<function name>:live`, taken from the alias ARN.
      FunctionName: {
        'Fn::Join': [
          '',
          [
            { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: ids.prod.functions.orderEvents.alias }] }] },
            ':live',
          ],
        ],
      },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('hides a message in flight for at least six times the consumer timeout', () => {
    const consumer = resourceById<FunctionProps>(prod, ids.prod.functions.orderEvents.function);
    expect(queue().VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.Properties.Timeout);
  });
});

// ---------------------------------------------------------------------------------------------
// REST API
// ---------------------------------------------------------------------------------------------

describe('REST API', () => {
  test('is REGIONAL and takes API keys from the authorizer', () => {
    expect(resourceById(prod, ids.prod.api).Properties).toMatchObject({
      EndpointConfiguration: { Types: ['REGIONAL'] },
      ApiKeySourceType: 'AUTHORIZER',
    });
  });

  test.each(ALL_ENVS)('%s: every resource answers the CORS preflight for the configured origins', (env) => {
    const origins = configs[env].api.corsOrigins;
    expect(origins.length).toBeGreaterThan(0);
    const options = methodsOf(templates[env]).filter((m) => m.props.HttpMethod === 'OPTIONS');
    const resourceCount = resourcesOfType(templates[env], 'AWS::ApiGateway::Resource').length;
    expect(options).toHaveLength(resourceCount + 1);
    for (const { props } of options) {
      expect(props.AuthorizationType).toBe('NONE');
      expect(props.Integration.Type).toBe('MOCK');
      const [response] = props.Integration.IntegrationResponses!;
      expect(response!.ResponseParameters!['method.response.header.Access-Control-Allow-Origin']).toBe(
        `'${origins[0]}'`
      );
      // Further origins are echoed back by a response template when they match.
      const template = response!.ResponseTemplates?.['application/json'] ?? '';
      for (const origin of origins.slice(1)) expect(template).toContain(`$origin == "${origin}"`);
      if (origins.length === 1) expect(response!.ResponseTemplates).toBeUndefined();
    }
  });

  test('the dev preflight also answers the deployed dev front end', () => {
    // The deployed front end first: API Gateway's own error responses can name only one origin.
    expect(configs.dev.api.corsOrigins).toEqual(['https://dev.app.example.com', 'http://localhost:3000']);
    expect(configs.prod.api.corsOrigins).toEqual(['https://app.example.com']);
  });

  test.each(ALL_ENVS)("%s: API Gateway's own errors carry the CORS origin and the API error shape", (env) => {
    const expected: Array<[string, RegExp]> = [
      ['DEFAULT_4XX', /^\{"error": "request_rejected", "message": \$context\.error\.messageString\}$/],
      ['DEFAULT_5XX', /^\{"error": "internal_error", "message": "Internal server error"\}$/],
      ['UNAUTHORIZED', /^\{"error": "unauthorized", /],
      // The authorizer's Deny (refused credentials) stays the 401 clients refresh their token on.
      ['ACCESS_DENIED', /^\{"error": "unauthorized", "message": "Unauthorized"\}$/],
      ['BAD_REQUEST_BODY', /^\{"error": "invalid_body", "message": ".*validationErrorString.*"\}$/],
    ];
    for (const [type, body] of expected) {
      templates[env].hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        RestApiId: { Ref: ids[env].api },
        ResponseType: type,
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': `'${configs[env].api.corsOrigins[0]}'`,
        },
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp(body.source) },
      });
    }
    templates[env].hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '401',
    });
  });
});

describe('API stage', () => {
  const stage = (env: EnvironmentName) => resourceById<StageProps>(templates[env], ids[env].stage).Properties;
  const defaults = (env: EnvironmentName) => {
    const found = stage(env).MethodSettings.filter((s) => s.ResourcePath === '/*' && s.HttpMethod === '*');
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  test.each(ALL_ENVS)('%s: is named after the environment, traced, throttled at 1000/2000 rps', (env) => {
    expect(stage(env)).toMatchObject({ StageName: env, TracingEnabled: true });
    expect(defaults(env)).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 });
  });

  test.each(ALL_ENVS)('%s: logs at INFO with metrics on', (env) => {
    expect(defaults(env)).toMatchObject({ LoggingLevel: 'INFO', MetricsEnabled: true });
  });

  test('logs full requests and responses (data trace) in dev only', () => {
    expect(defaults('dev').DataTraceEnabled).toBe(true);
    for (const env of ['staging', 'prod'] as const) {
      for (const setting of stage(env).MethodSettings) expect(setting.DataTraceEnabled).toBe(false);
    }
  });

  test.each(ALL_ENVS)('%s: writes JSON access logs to its own log group', (env) => {
    const { AccessLogSetting } = stage(env);
    expect(JSON.stringify(AccessLogSetting.DestinationArn)).toContain(
      JSON.stringify({ Ref: ids[env].accessLogs })
    );
    expect(JSON.parse(AccessLogSetting.Format)).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      status: '$context.status',
    });
    expect(resourceById(templates[env], ids[env].accessLogs)).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: { dev: 7, staging: 30, prod: 90 }[env] },
    });
  });

  test('dev has no cache cluster and caches nothing', () => {
    expect(stage('dev').CacheClusterEnabled).toBe(false);
    expect(stage('dev').MethodSettings.filter((s) => s.CachingEnabled !== false)).toEqual([]);
  });

  test.each([['staging'], ['prod']] as const)(
    '%s: an encrypted 0.5 GB cache, off by default and on only for GET of the product catalog',
    (env) => {
      expect(stage(env)).toMatchObject({ CacheClusterEnabled: true, CacheClusterSize: '0.5' });
      expect(defaults(env)).toMatchObject({ CachingEnabled: false });
      const cached = stage(env).MethodSettings.filter((s) => s.CachingEnabled === true);
      expect(cached.map((s) => `${s.HttpMethod} ${s.ResourcePath}`).sort()).toEqual([
        'GET /~1v1~1products',
        'GET /~1v1~1products~1{proxy+}',
      ]);
      for (const setting of cached) {
        expect(setting).toMatchObject({ CacheTtlInSeconds: 300, CacheDataEncrypted: true });
      }
    }
  );

  test.each(ALL_ENVS)('%s: no per-user route (users, orders) is ever cached', (env) => {
    // MethodSettings write `/v1/products` as `/~1v1~1products` (a JSON pointer).
    const decode = (p: string) => p.replace(/^\//, '').replace(/~1/g, '/');
    for (const setting of stage(env).MethodSettings.filter((s) => s.CachingEnabled !== false)) {
      expect(decode(setting.ResourcePath)).toMatch(/^\/v1\/products(\/|$)/);
    }
  });

  test.each(ALL_ENVS)('%s: the cached catalog reads are keyed on their page and their path', (env) => {
    const list = methodAt(templates[env], '/v1/products', 'GET');
    expect(list.Integration.CacheKeyParameters).toEqual([
      'method.request.querystring.limit',
      'method.request.querystring.cursor',
    ]);
    const item = methodAt(templates[env], '/v1/products/{proxy+}', 'GET');
    expect(item.Integration.CacheKeyParameters).toEqual(['method.request.path.proxy']);
    // API Gateway only accepts cache keys that the method declares.
    for (const method of [list, item]) {
      for (const key of method.Integration.CacheKeyParameters!) {
        expect(method.RequestParameters).toHaveProperty([key]);
      }
    }
  });
});

describe('REQUEST authorizer', () => {
  test("reads the Authorization and x-api-key headers, caches for 5 minutes, runs the authorizer's alias", () => {
    const authorizer = resourceById(prod, ids.prod.authorizer).Properties;
    expect(authorizer).toMatchObject({
      Type: 'REQUEST',
      RestApiId: { Ref: ids.prod.api },
      IdentitySource: 'method.request.header.Authorization,method.request.header.x-api-key',
      AuthorizerResultTtlInSeconds: 300,
    });
    const uri = JSON.stringify(authorizer.AuthorizerUri);
    expect(uri).toContain(':lambda:path/2015-03-31/functions/');
    expect(uri).toContain(JSON.stringify({ Ref: ids.prod.functions.authorizer.alias }));
    expect(resourcesOfType(prod, 'AWS::ApiGateway::Authorizer')).toHaveLength(1);
  });

  test("API Gateway may invoke the authorizer's alias from this authorizer", () => {
    prod.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { Ref: ids.prod.functions.authorizer.alias },
      SourceArn: {
        'Fn::Join': [
          '',
          [Match.anyValue(), { Ref: ids.prod.api }, '/authorizers/', { Ref: ids.prod.authorizer }],
        ],
      },
    });
  });
});

describe('routes', () => {
  test.each(ALL_ENVS)('%s: exactly the designed methods exist (besides CORS preflights)', (env) => {
    expect(nonOptionsRoutes(templates[env])).toEqual(
      [...V1_ROUTES.map(([p, m]) => `${m} ${p}`), 'GET /health'].sort()
    );
  });

  describe.each(V1_ROUTES.map(([p, m, f]) => [`${m} ${p}`, p, m, f] as const))(
    '%s',
    (_, resource, verb, fnName) => {
      const method = () => methodAt(prod, resource, verb);

      test('requires the REQUEST authorizer and an API key', () => {
        expect(method()).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: ids.prod.authorizer },
          ApiKeyRequired: true,
        });
      });

      test(`is proxied to the ${fnName} function's live alias`, () => {
        expect(method().Integration).toMatchObject({
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: lambdaUri(ids.prod.functions[fnName].alias),
        });
      });

      test('validates body and parameters with the shared request validator', () => {
        expect(method().RequestValidatorId).toEqual({ Ref: ids.prod.requestValidator });
      });

      test(`API Gateway may invoke the ${fnName} function's alias for this route on the stage`, () => {
        const sourceArnTail = `/${verb === 'ANY' ? '*' : verb}${resource.replace(/\{[^}]+\}/g, '*')}`;
        prod.hasResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
          FunctionName: { Ref: ids.prod.functions[fnName].alias },
          SourceArn: {
            'Fn::Join': [
              '',
              [Match.anyValue(), { Ref: ids.prod.api }, '/', { Ref: ids.prod.stage }, sourceArnTail],
            ],
          },
        });
      });
    }
  );

  describe('GET /health', () => {
    const health = () => methodAt(prod, '/health', 'GET');

    test('is public: no authorizer, no API key', () => {
      expect(health().AuthorizationType).toBe('NONE');
      expect(health().AuthorizerId).toBeUndefined();
      expect(health().ApiKeyRequired).not.toBe(true);
    });

    test('is answered by a MOCK integration reporting healthy with the request time', () => {
      const { Integration } = health();
      expect(Integration.Type).toBe('MOCK');
      expect(Integration.RequestTemplates).toEqual({ 'application/json': '{"statusCode": 200}' });
      const ok = Integration.IntegrationResponses!.find((r) => r.StatusCode === '200');
      const body = ok!.ResponseTemplates!['application/json']!;
      expect(body).toContain('"status": "healthy"');
      expect(body).toContain('$context.requestTime');
      expect(JSON.parse(body)).toMatchObject({ status: 'healthy' });
    });
  });
});

describe('request validation', () => {
  test('one validator checks both body and parameters, used by every /v1 method and nothing else', () => {
    const [id, validator] = onlyOne(prod, 'AWS::ApiGateway::RequestValidator');
    expect(validator.Properties).toMatchObject({
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const validated = methodsOf(prod).filter((m) => m.props.RequestValidatorId !== undefined);
    expect(validated.map((m) => `${m.props.HttpMethod} ${m.path}`).sort()).toEqual(
      V1_ROUTES.map(([p, m]) => `${m} ${p}`).sort()
    );
    for (const m of validated) expect(m.props.RequestValidatorId).toEqual({ Ref: id });
  });

  test('POST /v1/users takes a CreateUser body: given and family name required', () => {
    const [id, model] = resourcesOfType(prod, 'AWS::ApiGateway::Model').find(
      ([, m]) => m.Properties.Name === 'CreateUser'
    )!;
    expect(model.Properties).toMatchObject({
      ContentType: 'application/json',
      Schema: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['givenName', 'familyName'],
        properties: {
          givenName: { type: 'string', minLength: 1, maxLength: 100 },
          familyName: { type: 'string', minLength: 1, maxLength: 100 },
        },
      },
    });
    expect(methodAt(prod, '/v1/users', 'POST').RequestModels).toEqual({ 'application/json': { Ref: id } });
  });

  test('PUT /v1/users/{userId} takes an UpdateUser body: it replaces the profile, so both names', () => {
    const [id, model] = resourcesOfType(prod, 'AWS::ApiGateway::Model').find(
      ([, m]) => m.Properties.Name === 'UpdateUser'
    )!;
    expect(model.Properties).toMatchObject({
      ContentType: 'application/json',
      Schema: {
        type: 'object',
        required: ['givenName', 'familyName'],
        properties: {
          givenName: { type: 'string', minLength: 1, maxLength: 100 },
          familyName: { type: 'string', minLength: 1, maxLength: 100 },
        },
      },
    });
    expect(methodAt(prod, '/v1/users/{userId}', 'PUT').RequestModels).toEqual({
      'application/json': { Ref: id },
    });
  });

  test('no other method has a request model', () => {
    const withModels = methodsOf(prod).filter(
      (m) => m.props.RequestModels !== undefined && m.props.HttpMethod !== 'OPTIONS'
    );
    expect(withModels.map((m) => `${m.props.HttpMethod} ${m.path}`).sort()).toEqual([
      'POST /v1/users',
      'PUT /v1/users/{userId}',
    ]);
  });
});

describe('usage plan and API key', () => {
  test.each(ALL_ENVS)('%s: the usage plan throttles each client at 100/200 rps on the API stage', (env) => {
    const [, plan] = onlyOne(templates[env], 'AWS::ApiGateway::UsagePlan', NOT_THE_CANARYS);
    expect(plan.Properties).toMatchObject({
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      ApiStages: [{ ApiId: { Ref: ids[env].api }, Stage: { Ref: ids[env].stage } }],
    });
  });

  test('one API key, in the plan, whose value API Gateway generates (never in the template)', () => {
    const [keyId, key] = onlyOne(prod, 'AWS::ApiGateway::ApiKey', NOT_THE_CANARYS);
    expect(key.Properties.Value).toBeUndefined();
    expect(key.Properties.Enabled).toBe(true);
    const [planId] = onlyOne(prod, 'AWS::ApiGateway::UsagePlan', NOT_THE_CANARYS);
    const [, planKey] = onlyOne(prod, 'AWS::ApiGateway::UsagePlanKey', NOT_THE_CANARYS);
    expect(planKey.Properties).toEqual({
      KeyId: { Ref: keyId },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: planId },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Outputs, stage wiring, logical ids
// ---------------------------------------------------------------------------------------------

describe('outputs', () => {
  test('ApiUrl is the stage URL; UserPoolId, UserPoolClientId and TableName reference their resources', () => {
    prod.hasOutput('ApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: ids.prod.api },
            '.execute-api.us-east-1.',
            { Ref: 'AWS::URLSuffix' },
            '/',
            { Ref: ids.prod.stage },
            '/',
          ],
        ],
      },
    });
    prod.hasOutput('UserPoolId', { Value: { Ref: ids.prod.userPool } });
    prod.hasOutput('UserPoolClientId', { Value: { Ref: ids.prod.userPoolClient } });
    prod.hasOutput('TableName', { Value: { Ref: ids.prod.table } });
  });
});

describe('the stage (construct objects of one dev AppStage, not synthesized)', () => {
  test("exposes the API stack's ApiUrl output as apiUrl", () => {
    expect(devStage.apiUrl).toBe(devStage.api.apiUrlOutput);
    expect(devStage.apiUrl.node.id).toBe('ApiUrl');
    expect(Stack.of(devStage.apiUrl)).toBe(devStage.api);
  });

  test('dev has no ApiWaf construct', () => {
    expect(devStack.waf).toBeUndefined();
  });
});

test('pins the logical ids of the table and the user pool (renaming them would replace them)', () => {
  for (const env of ENVIRONMENT_NAMES) {
    expect(resourceById(templates[env], 'ApiDataTableC1EC4CE3').Type).toBe('AWS::DynamoDB::Table');
    expect(resourceById(templates[env], 'ApiUserPool7811AFAD').Type).toBe('AWS::Cognito::UserPool');
  }
});

// ---------------------------------------------------------------------------------------------
// Safe deployments: live aliases, CodeDeploy groups, deploy guards
// ---------------------------------------------------------------------------------------------

const aliasIds = (env: EnvironmentName) => FUNCTION_NAMES.map((name) => ids[env].functions[name].alias);
/** Which alias a template fragment points at (`{ Ref: <alias> }` anywhere in it). */
const referencedAliases = (env: EnvironmentName, fragment: unknown) =>
  aliasIds(env).filter((id) => JSON.stringify(fragment).includes(JSON.stringify({ Ref: id })));
/** Whether a template fragment names a function itself (`$LATEST`): its Arn or its Ref. */
const referencesAFunction = (env: EnvironmentName, fragment: unknown) =>
  FUNCTION_NAMES.some((name) => {
    const fn = ids[env].functions[name].function;
    const json = JSON.stringify(fragment);
    return json.includes(JSON.stringify({ 'Fn::GetAtt': [fn, 'Arn'] })) || json.includes(`{"Ref":"${fn}"}`);
  });
/** The deploy-guard alarms of the environment's API stack. */
const guardAlarms = (env: EnvironmentName) =>
  resourcesOfType(templates[env], 'AWS::CloudWatch::Alarm').filter(([, a]) =>
    String(a.Properties.AlarmName).startsWith(`${env}-DeployGuard-`)
  );

const EXPECTED_DEPLOYMENT_CONFIG: Record<EnvironmentName, string> = {
  dev: 'CodeDeployDefault.LambdaAllAtOnce',
  staging: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
  prod: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
};

describe('live aliases', () => {
  test.each(ALL_ENVS)('%s: each function has exactly one alias, `live`, on its current version', (env) => {
    const aliases = resourcesOfType(templates[env], 'AWS::Lambda::Alias');
    expect(aliases.map(([id]) => id).sort()).toEqual(aliasIds(env).sort());
    for (const name of FUNCTION_NAMES) {
      const { function: fn, alias } = ids[env].functions[name];
      const props = resourceById(templates[env], alias).Properties as {
        Name: string;
        FunctionName: unknown;
        FunctionVersion: { 'Fn::GetAtt': [string, string] };
      };
      expect(props.Name).toBe(LIVE_ALIAS_NAME);
      expect(props.FunctionName).toEqual({ Ref: fn });
      const [versionId, attribute] = props.FunctionVersion['Fn::GetAtt'];
      expect(attribute).toBe('Version');
      expect(resourceById(templates[env], versionId)).toMatchObject({
        Type: 'AWS::Lambda::Version',
        Properties: { FunctionName: { Ref: fn } },
      });
    }
  });

  test.each(ALL_ENVS)(
    "%s: every Lambda integration invokes its function's alias, never the function",
    (env) => {
      const proxied = resourcesOfType(templates[env], 'AWS::ApiGateway::Method')
        .map(([, m]) => m.Properties.Integration as { Type: string; Uri?: unknown })
        .filter((integration) => integration.Type === 'AWS_PROXY');
      expect(proxied.length).toBeGreaterThan(0);
      for (const integration of proxied) {
        expect(referencedAliases(env, integration.Uri)).toHaveLength(1);
        expect(referencesAFunction(env, integration.Uri)).toBe(false);
      }
      // The routes reach the three handlers' aliases, and only theirs.
      const targets = new Set(proxied.flatMap((i) => referencedAliases(env, i.Uri)));
      expect([...targets].sort()).toEqual(
        (['users', 'products', 'orders'] as const).map((n) => ids[env].functions[n].alias).sort()
      );
    }
  );

  test.each(ALL_ENVS)("%s: the REQUEST authorizer invokes the authorizer's alias", (env) => {
    const [[, authorizer]] = resourcesOfType(templates[env], 'AWS::ApiGateway::Authorizer') as [
      [string, Resource],
    ];
    const uri = authorizer.Properties.AuthorizerUri;
    expect(referencedAliases(env, uri)).toEqual([ids[env].functions.authorizer.alias]);
    expect(referencesAFunction(env, uri)).toBe(false);
  });

  test.each(ALL_ENVS)('%s: API Gateway may invoke the aliases only, not the functions', (env) => {
    const fromApiGateway = resourcesOfType(templates[env], 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com'
    );
    expect(fromApiGateway.length).toBeGreaterThan(0);
    for (const [, permission] of fromApiGateway) {
      expect(aliasIds(env).map((id) => ({ Ref: id }))).toContainEqual(permission.Properties.FunctionName);
    }
  });

  test.each(ALL_ENVS)("%s: the order-events queue feeds the consumer's alias", (env) => {
    const mappings = resourcesOfType(templates[env], 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const target = mappings[0]![1].Properties.FunctionName;
    expect(referencedAliases(env, target)).toEqual([ids[env].functions.orderEvents.alias]);
    expect(JSON.stringify(target)).toContain(`":${LIVE_ALIAS_NAME}"`);
  });
});

describe('CodeDeploy deployment groups', () => {
  test('the config module sets canary in prod, linear in staging, all at once in dev', () => {
    for (const env of ENVIRONMENT_NAMES) {
      expect(configs[env].deployment.trafficShifting.deploymentConfigName).toBe(
        EXPECTED_DEPLOYMENT_CONFIG[env]
      );
    }
    expect(configs.prod.deployment.rollbackOnAlarm).toBe(true);
    expect(configs.staging.deployment.rollbackOnAlarm).toBe(true);
    expect(configs.dev.deployment.rollbackOnAlarm).toBe(false);
  });

  test.each(ALL_ENVS)(
    "%s: one group per function shifts its alias with the environment's deployment config",
    (env) => {
      expect(resourcesOfType(templates[env], 'AWS::CodeDeploy::DeploymentGroup')).toHaveLength(
        FUNCTION_NAMES.length
      );
      for (const name of FUNCTION_NAMES) {
        const { group, alias } = ids[env].functions[name];
        expect(resourceById(templates[env], group).Properties).toMatchObject({
          ApplicationName: { Ref: ids[env].deploymentApplication },
          ServiceRoleArn: { 'Fn::GetAtt': [ids[env].deploymentRole, 'Arn'] },
          DeploymentConfigName: EXPECTED_DEPLOYMENT_CONFIG[env],
          DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
        });
        // CloudFormation hands an update of the alias to this group instead of switching it at once.
        expect(resourceById(templates[env], alias).UpdatePolicy).toEqual({
          CodeDeployLambdaAliasUpdate: {
            ApplicationName: { Ref: ids[env].deploymentApplication },
            DeploymentGroupName: { Ref: group },
          },
        });
      }
    }
  );

  test.each(ALL_ENVS)(
    "%s: all groups share one application and one role with CodeDeploy's Lambda policy",
    (env) => {
      expect(resourcesOfType(templates[env], 'AWS::CodeDeploy::Application')).toEqual([
        [
          ids[env].deploymentApplication,
          expect.objectContaining({ Properties: { ComputePlatform: 'Lambda' } }),
        ],
      ]);
      const role = resourceById(templates[env], ids[env].deploymentRole).Properties;
      expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('"Service":"codedeploy.amazonaws.com"');
      expect(JSON.stringify(role.ManagedPolicyArns)).toMatch(
        /^\[\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::aws:policy\/service-role\/AWSCodeDeployRoleForLambdaLimited"\]\]\}\]$/
      );
    }
  );

  test.each([['staging'], ['prod']] as const)(
    "%s: each group watches its function's errors alarm, the API 5XX and the API canary alarms, and rolls back on alarm and on failure",
    (env) => {
      const [[api5xxId]] = guardAlarms(env).filter(([, a]) => a.Properties.MetricName === '5XXError') as [
        [string, Resource],
      ];
      const [[canaryId]] = guardAlarms(env).filter(
        ([, a]) => a.Properties.MetricName === 'SuccessPercent'
      ) as [[string, Resource]];
      for (const name of FUNCTION_NAMES) {
        const { group, errorsAlarm } = ids[env].functions[name];
        expect(errorsAlarm).toBeDefined();
        const props = resourceById(templates[env], group).Properties as {
          AlarmConfiguration: { Enabled: boolean; Alarms: unknown[] };
          AutoRollbackConfiguration: { Enabled: boolean; Events: string[] };
        };
        expect(props.AlarmConfiguration.Enabled).toBe(true);
        expect(props.AlarmConfiguration.Alarms).toHaveLength(3);
        expect(props.AlarmConfiguration.Alarms).toEqual(
          expect.arrayContaining([
            { Name: { Ref: errorsAlarm } },
            { Name: { Ref: api5xxId } },
            { Name: { Ref: canaryId } },
          ])
        );
        expect(props.AutoRollbackConfiguration.Enabled).toBe(true);
        expect([...props.AutoRollbackConfiguration.Events].sort()).toEqual([
          'DEPLOYMENT_FAILURE',
          'DEPLOYMENT_STOP_ON_ALARM',
        ]);
      }
    }
  );

  test('dev: no alarms, all at once, rolled back only when the deployment itself fails', () => {
    for (const name of FUNCTION_NAMES) {
      expect(resourceById(dev, ids.dev.functions[name].group).Properties).toMatchObject({
        AlarmConfiguration: { Enabled: false },
        AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE'] },
      });
    }
    expect(guardAlarms('dev')).toEqual([]);
  });
});

describe('deploy-guard alarms (API stack)', () => {
  test.each([['staging'], ['prod']] as const)(
    '%s: one errors alarm per function on its live alias, 1-minute periods, named with the environment',
    (env) => {
      for (const name of FUNCTION_NAMES) {
        const { function: fn, errorsAlarm } = ids[env].functions[name];
        const props = resourceById(templates[env], errorsAlarm!).Properties;
        expect(props).toMatchObject({
          AlarmName: `${env}-DeployGuard-Lambda-${name}-Errors`,
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: DEPLOY_GUARD_ERRORS_THRESHOLD,
          TreatMissingData: 'notBreaching',
        });
        if (name === 'authorizer') {
          // Refused tokens are Deny policies, not Lambda errors: the guard counts the authorizer's own failures.
          expect(props).toMatchObject({
            Namespace: METRIC_NAMESPACES.authorizer,
            MetricName: 'UnexpectedFailures',
            Dimensions: [{ Name: 'service', Value: SERVICE_NAMES.api }],
          });
          continue;
        }
        expect(props).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: expect.arrayContaining([
            { Name: 'FunctionName', Value: { Ref: fn } },
            { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: fn }, `:${LIVE_ALIAS_NAME}`]] } },
          ]),
        });
      }
    }
  );

  test.each([['staging'], ['prod']] as const)('%s: one API 5XX alarm on the REST API', (env) => {
    const api5xx = guardAlarms(env).filter(([, a]) => a.Properties.MetricName === '5XXError');
    expect(api5xx).toHaveLength(1);
    expect(api5xx[0]![1].Properties).toMatchObject({
      AlarmName: `${env}-DeployGuard-API-5XX-Errors`,
      Namespace: 'AWS/ApiGateway',
      Dimensions: [{ Name: 'ApiName', Value: resourceById(templates[env], ids[env].api).Properties.Name }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: DEPLOY_GUARD_API_5XX_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    // Per function, the API's 5XX, the API canary.
    expect(guardAlarms(env)).toHaveLength(FUNCTION_NAMES.length + 2);
  });

  test.each([['staging'], ['prod']] as const)(
    "%s: one alarm on the API canary's runs: below the configured SuccessPercent in one run interval",
    (env) => {
      const canary = guardAlarms(env).filter(([, a]) => a.Properties.MetricName === 'SuccessPercent');
      expect(canary).toHaveLength(1);
      expect(canary[0]![1].Properties).toMatchObject({
        AlarmName: `${env}-DeployGuard-API-Canary`,
        Namespace: 'CloudWatchSynthetics',
        Dimensions: [{ Name: 'CanaryName', Value: { Ref: ids[env].canary.canary } }],
        Statistic: 'Average',
        Period: configs[env].synthetics.schedule.toSeconds(),
        EvaluationPeriods: 1,
        Threshold: configs[env].synthetics.successPercentThreshold,
        ComparisonOperator: 'LessThanThreshold',
        // A canary that has not run yet (new stack) must not block a deployment.
        TreatMissingData: 'notBreaching',
      });
    }
  );

  test.each([['staging'], ['prod']] as const)(
    '%s: the guards notify nobody (the Monitoring stack owns the notifying alarms)',
    (env) => {
      for (const [, alarm] of guardAlarms(env)) {
        expect(alarm.Properties.AlarmActions).toBeUndefined();
        expect(alarm.Properties.OKActions).toBeUndefined();
        expect(alarm.Properties.InsufficientDataActions).toBeUndefined();
      }
    }
  );

  test.each(ALL_ENVS)(
    '%s: the API stack does not depend on the Monitoring stack (which depends on it)',
    (env) => {
      const imports = (t: Template) =>
        JSON.stringify(t.toJSON()).match(/Fn::(ImportValue|GetStackOutput)/g) ?? [];
      expect(imports(templates[env])).toEqual([]);
      expect(imports(stageTemplate(env, 'Monitoring')).length).toBeGreaterThan(0);
    }
  );
});

// ---------------------------------------------------------------------------------------------
// The API canary (CloudWatch Synthetics) and the Monitoring stack's alarm on it
// ---------------------------------------------------------------------------------------------

describe('the canary', () => {
  test.each(ALL_ENVS)('%s: one canary, the newest Node.js runtime, on the configured schedule', (env) => {
    templates[env].resourceCountIs('AWS::Synthetics::Canary', 1);
    templates[env].hasResourceProperties('AWS::Synthetics::Canary', {
      Name: `${env}-api`,
      RuntimeVersion: CANARY_RUNTIME.name,
      Schedule: { Expression: `rate(${configs[env].synthetics.schedule.toMinutes()} minutes)` },
      StartCanaryAfterCreation: true,
      Code: { Handler: 'index.handler', Script: canaryCode() },
      ProvisionedResourceCleanup: 'AUTOMATIC',
    });
    expect(configs[env].synthetics.schedule.toMinutes()).toBe(5);
  });

  test('runs the code from canaries/api bundled as CommonJS with the AWS SDK left to the runtime', () => {
    const code = canaryCode();
    expect(code).toMatch(/AWSCognitoIdentityProviderService\.InitiateAuth/);
    expect(code).toMatch(/module\.exports/);
    expect(code).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/);
    expect(code.length).toBeLessThan(64 * 1024);
  });

  test('its code only signs in: no Cognito admin call, no Cognito SDK client', () => {
    const code = canaryCode();
    expect(code).not.toMatch(/Admin[A-Z]\w*(Command)?/);
    expect(code).not.toMatch(/client-cognito-identity-provider/);
  });

  test.each(ALL_ENVS)('%s: gets the API URL, the client and the secret ARNs, never a secret value', (env) => {
    const resource = templates[env].toJSON().Resources[ids[env].canary.canary] as {
      Properties: { RunConfig: { EnvironmentVariables: Record<string, unknown> } };
    };
    const vars = resource.Properties.RunConfig.EnvironmentVariables;
    expect(Object.keys(vars).sort()).toEqual([
      'API_KEY_SECRET_ARN',
      'API_URL',
      'USER_POOL_CLIENT_ID',
      'USER_SECRET_ARN',
    ]);
    expect(vars.USER_SECRET_ARN).toEqual({ Ref: ids[env].canary.userSecret });
    expect(vars.API_KEY_SECRET_ARN).toEqual({ Ref: ids[env].canary.apiKeySecret });
    expect(JSON.stringify(vars)).not.toMatch(/resolve:secretsmanager/);
  });

  test.each(ALL_ENVS)('%s: its role reads its two secrets, and has no Cognito permission at all', (env) => {
    templates[env].hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: ids[env].canary.role }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: [{ Ref: ids[env].canary.apiKeySecret }, { Ref: ids[env].canary.userSecret }],
          }),
        ]),
      },
    });
    const actions = roleActions(env, ids[env].canary.role);
    expect(actions.filter((action) => /^cognito-idp:/i.test(action) || action === '*')).toEqual([]);
    expect(actions.filter((action) => /^cognito-idp:Admin/i.test(action))).toEqual([]);
    // What a run needs: its two secrets, its artifacts, its logs and metrics (the Canary construct's).
    expect(actions.sort()).toEqual([
      'cloudwatch:PutMetricData',
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetBucketLocation',
      's3:ListAllMyBuckets',
      's3:PutObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  test.each(ALL_ENVS)('%s: is created after its user exists (its first run signs in)', (env) => {
    const resource = templates[env].toJSON().Resources[ids[env].canary.canary] as { DependsOn?: string[] };
    expect(resource.DependsOn).toEqual(expect.arrayContaining([ids[env].canary.user]));
  });
});

/** Every action any policy attached to the role (inline or AWS::IAM::Policy) allows. */
function roleActions(env: EnvironmentName, roleId: string): string[] {
  const resources = templates[env].toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  type Statement = { Effect: string; Action: string | string[] };
  const documents: { Statement: Statement[] }[] = [];
  const role = resources[roleId]!;
  for (const policy of (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
    documents.push(policy.PolicyDocument);
  }
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  for (const resource of Object.values(resources)) {
    const roles = resource.Properties.Roles as unknown[] | undefined;
    if (resource.Type === 'AWS::IAM::Policy' && JSON.stringify(roles).includes(`"${roleId}"`)) {
      documents.push(resource.Properties.PolicyDocument as { Statement: Statement[] });
    }
  }
  return documents
    .flatMap((document) => document.Statement)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => [statement.Action].flat());
}

describe('the canary user, provisioned at deploy (Custom::ApiCanaryUser)', () => {
  test.each(ALL_ENVS)(
    '%s: one resource, on this pool, this username and the user secret, answered by its provider',
    (env) => {
      templates[env].resourceCountIs(CANARY_USER_RESOURCE_TYPE, 1);
      const resource = templates[env].toJSON().Resources[ids[env].canary.user] as {
        Type: string;
        Properties: Record<string, unknown>;
      };
      expect(resource.Type).toBe(CANARY_USER_RESOURCE_TYPE);
      expect(resource.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [ids[env].canary.provider, 'Arn'] },
        ServiceTimeout: String(CANARY_USER_SERVICE_TIMEOUT.toSeconds()),
        UserPoolId: { Ref: ids[env].userPool },
        Username: CANARY_USERNAME,
        // The ARN, never the value: the provider reads the password itself.
        UserSecretArn: { Ref: ids[env].canary.userSecret },
      });
    }
  );

  test.each(ALL_ENVS)('%s: no password reaches the template: no dynamic reference, no literal', (env) => {
    const json = JSON.stringify(templates[env].toJSON().Resources[ids[env].canary.user]);
    expect(json).not.toMatch(/resolve:secretsmanager/);
    expect(json).not.toMatch(/password/i);
    const provider = JSON.stringify(templates[env].toJSON().Resources[ids[env].canary.provider]);
    expect(provider).not.toMatch(/resolve:secretsmanager/);
  });

  test.each(ALL_ENVS)(
    '%s: its provider is the one user, by environment: this pool, this username, the secret ARN',
    (env) => {
      templates[env].hasResourceProperties('AWS::Lambda::Function', {
        Runtime: FUNCTION_RUNTIME.name,
        Environment: {
          Variables: Match.objectLike({
            USER_POOL_ID: { Ref: ids[env].userPool },
            CANARY_USERNAME: CANARY_USERNAME,
            USER_SECRET_ARN: { Ref: ids[env].canary.userSecret },
          }),
        },
        Role: { 'Fn::GetAtt': [ids[env].canary.providerRole, 'Arn'] },
      });
    }
  );

  test.each(ALL_ENVS)(
    "%s: its provider's role may create, set the password of and delete users in this pool, and read the user secret",
    (env) => {
      templates[env].hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: ids[env].canary.providerRole }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: [...CANARY_USER_PROVIDER_ACTIONS].sort(),
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [ids[env].userPool, 'Arn'] },
            },
            Match.objectLike({
              Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
              Resource: { Ref: ids[env].canary.userSecret },
            }),
          ]),
        },
      });
      expect(roleActions(env, ids[env].canary.providerRole).sort()).toEqual([
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:AdminSetUserPassword',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    }
  );

  test.each(ALL_ENVS)('%s: the resource is deleted before its provider (Delete removes the user)', (env) => {
    const resource = templates[env].toJSON().Resources[ids[env].canary.user] as { DependsOn?: string[] };
    expect(resource.DependsOn).toEqual(
      expect.arrayContaining([ids[env].canary.provider, ids[env].canary.providerRole])
    );
  });
});

describe('credentials', () => {
  test.each(ALL_ENVS)('%s: the user password is generated by Secrets Manager beside the username', (env) => {
    templates[env].hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ username: CANARY_USERNAME }),
        GenerateStringKey: 'password',
        RequireEachIncludedType: true,
      },
    });
  });

  test.each(ALL_ENVS)(
    "%s: the canary's API key takes its generated value by dynamic reference, in its own usage plan",
    (env) => {
      templates[env].hasResourceProperties('AWS::ApiGateway::ApiKey', {
        Value: {
          'Fn::Join': [
            '',
            ['{{resolve:secretsmanager:', { Ref: ids[env].canary.apiKeySecret }, ':SecretString:::}}'],
          ],
        },
      });
      templates[env].hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
        KeyId: { Ref: ids[env].canary.apiKey },
        UsagePlanId: { Ref: ids[env].canary.usagePlan },
      });
    }
  );
});

describe('artifacts bucket', () => {
  test.each(ALL_ENVS)(
    '%s: encrypted, private, SSL-only, expiring; the canary writes there encrypted',
    (env) => {
      const bucketId = ids[env].canary.bucket;
      templates[env].hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [{ ExpirationInDays: CANARY_ARTIFACTS_EXPIRATION.toDays(), Status: 'Enabled' }],
        },
      });
      templates[env].hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      const resource = templates[env].toJSON().Resources[ids[env].canary.canary] as {
        Properties: Record<string, unknown>;
      };
      expect(resource.Properties).toMatchObject({
        ArtifactConfig: { S3Encryption: { EncryptionMode: 'SSE_S3' } },
        ArtifactS3Location: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }]] },
      });
    }
  );
});

describe('the notifying alarm (Monitoring stack)', () => {
  test.each(ALL_ENVS)(
    "%s: fires below the configured SuccessPercent, on the canary's runs, and notifies the alarm topic",
    (env) => {
      const monitoring = stageTemplate(env, 'Monitoring');
      const topic = { Ref: idOf(monitoring, 'AWS::SNS::Topic') };
      monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${env}-API-Canary`,
        Namespace: 'CloudWatchSynthetics',
        MetricName: 'SuccessPercent',
        Dimensions: [{ Name: 'CanaryName', Value: Match.anyValue() }],
        Threshold: configs[env].synthetics.successPercentThreshold,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  );
});

// ---------------------------------------------------------------------------------------------
// WAF (staging and prod) and the Monitoring stack's alarm on it
// ---------------------------------------------------------------------------------------------

const WITH_WAF = ['staging', 'prod'] as const satisfies readonly EnvironmentName[];
function wafConfig(env: (typeof WITH_WAF)[number]) {
  const { waf } = configs[env];
  if (!waf) throw new Error(`${env} has no waf config`);
  return waf;
}

describe.each(WITH_WAF)('%s: the API stage has a web ACL', (env) => {
  const api = templates[env];
  const [webAclId, webAcl] = onlyOne(api, 'AWS::WAFv2::WebACL');
  const rules = webAcl.Properties.Rules as Array<Record<string, unknown>>;

  test('is REGIONAL, named after the environment, and allows what no rule blocks', () => {
    expect(webAcl.Properties).toMatchObject({
      Scope: 'REGIONAL',
      Name: `${env}-api`,
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true },
    });
  });

  test('first blocks an IP over the configured rate per 5 minutes', () => {
    expect(rules[0]).toMatchObject({
      Priority: 0,
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'IP',
          Limit: wafConfig(env).rateLimitPer5Minutes,
          EvaluationWindowSec: 300,
        },
      },
    });
  });

  test('then blocks a caller (Authorization header) over the configured per-caller rate per 5 minutes', () => {
    expect(rules[1]).toMatchObject({
      Name: 'RateLimitPerCaller',
      Priority: 1,
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'CUSTOM_KEYS',
          Limit: wafConfig(env).perCallerRateLimitPer5Minutes,
          EvaluationWindowSec: 300,
          CustomKeys: [
            { Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
          ],
        },
      },
      VisibilityConfig: { MetricName: 'RateLimitPerCaller' },
    });
  });

  test('then applies the AWS managed common and known-bad-inputs rule sets, with their own actions', () => {
    expect(WAF_MANAGED_RULE_GROUPS).toEqual([
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    expect(rules.slice(2)).toEqual(
      WAF_MANAGED_RULE_GROUPS.map((name, i): unknown =>
        expect.objectContaining({
          Name: name,
          Priority: i + 2,
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } },
        })
      )
    );
    expect(rules).toHaveLength(2 + WAF_MANAGED_RULE_GROUPS.length);
    for (const rule of rules) {
      expect(rule.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, MetricName: rule.Name });
    }
  });

  test('is associated with the deployment stage of the API', () => {
    const [stageId] = onlyOne(api, 'AWS::ApiGateway::Stage');
    const [restApiId] = onlyOne(api, 'AWS::ApiGateway::RestApi');
    const [, association] = onlyOne(api, 'AWS::WAFv2::WebACLAssociation');
    expect(association.Properties).toEqual({
      WebACLArn: { 'Fn::GetAtt': [webAclId, 'Arn'] },
      ResourceArn: {
        'Fn::Join': [
          '',
          [
            `arn:aws:apigateway:${configs[env].region}::/restapis/`,
            { Ref: restApiId },
            '/stages/',
            { Ref: stageId },
          ],
        ],
      },
    });
  });

  test('logs to an aws-waf-logs- log group with the retention and removal policy of the config', () => {
    const wafLogGroups = resourcesOfType(api, 'AWS::Logs::LogGroup').filter(([, r]) =>
      String(r.Properties.LogGroupName).startsWith('aws-waf-logs-')
    );
    expect(wafLogGroups).toHaveLength(1);
    const [logGroupId, logGroup] = wafLogGroups[0]!;
    expect(logGroup.Properties.LogGroupName).toBe(`${WAF_LOG_GROUP_PREFIX}${env}-api`);
    expect(logGroup.Properties.RetentionInDays).toBe(configs[env].logRetention);
    expect(logGroup.DeletionPolicy).toBe(
      configs[env].removalPolicy === RemovalPolicy.RETAIN ? 'Retain' : 'Delete'
    );

    const [, logging] = onlyOne(api, 'AWS::WAFv2::LoggingConfiguration');
    expect(logging.Properties.ResourceArn).toEqual({ 'Fn::GetAtt': [webAclId, 'Arn'] });
    // The plain log-group ARN (no trailing `:*`), built from the group's name.
    expect(logging.Properties.LogDestinationConfigs).toEqual([
      {
        'Fn::Join': [
          '',
          [`arn:aws:logs:${configs[env].region}:${configs[env].account}:log-group:`, { Ref: logGroupId }],
        ],
      },
    ]);
    expect(logging.DependsOn).toContain(logGroupId);
  });

  test('keeps credentials out of the logs and logs only blocked or counted requests', () => {
    const [, logging] = onlyOne(api, 'AWS::WAFv2::LoggingConfiguration');
    expect(WAF_REDACTED_HEADERS).toEqual(['authorization', 'x-api-key']);
    expect(logging.Properties.RedactedFields).toEqual(
      WAF_REDACTED_HEADERS.map((name) => ({ SingleHeader: { Name: name } }))
    );
    expect(logging.Properties.LoggingFilter).toEqual({
      DefaultBehavior: 'DROP',
      Filters: [
        {
          Behavior: 'KEEP',
          Requirement: 'MEETS_ANY',
          Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
        },
      ],
    });
  });

  test('the Monitoring stack alarms on blocked requests, notifying the topic on ALARM and OK', () => {
    const monitoring = stageTemplate(env, 'Monitoring');
    const [topicId] = onlyOne(monitoring, 'AWS::SNS::Topic');
    const alarms = resourcesOfType(monitoring, 'AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties.AlarmName === `${env}-API-WAF-Blocked-Requests`
    );
    expect(alarms).toHaveLength(1);
    const [alarmId, alarm] = alarms[0]!;
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/WAFV2',
      MetricName: 'BlockedRequests',
      Statistic: 'Sum',
      Period: 300,
      Threshold: WAF_BLOCKED_REQUESTS_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    // The web ACL's name as a plain string: no reference to (or dependency on) the API stack's ACL.
    expect(alarm.Properties.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'WebACL', Value: webAcl.Properties.Name },
        { Name: 'Region', Value: configs[env].region },
        { Name: 'Rule', Value: 'ALL' },
      ])
    );
    expect(alarm.Properties.Dimensions).toHaveLength(3);
    // On the dashboard (its alarm widget shows every alarm of the stack) beside a WAF graph.
    const [, dashboard] = onlyOne(monitoring, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain(JSON.stringify({ 'Fn::GetAtt': [alarmId, 'Arn'] }));
    expect(body).toContain('API WAF - Allowed and Blocked Requests');
  });
});

describe('dev: no web ACL (config.waf is undefined)', () => {
  const api = dev;
  const monitoring = stageTemplate('dev', 'Monitoring');

  test('has no WAF resource and no WAF log group', () => {
    expect(configs.dev.waf).toBeUndefined();
    for (const type of [
      'AWS::WAFv2::WebACL',
      'AWS::WAFv2::WebACLAssociation',
      'AWS::WAFv2::LoggingConfiguration',
    ]) {
      expect(resourcesOfType(api, type)).toEqual([]);
    }
    const logGroupNames = resourcesOfType(api, 'AWS::Logs::LogGroup').map(([, r]) =>
      String(r.Properties.LogGroupName)
    );
    expect(logGroupNames.filter((name) => name.startsWith(WAF_LOG_GROUP_PREFIX))).toEqual([]);
  });

  test('acknowledges AwsSolutions-APIG3 on the stage, with a reason', () => {
    const apig3 = collectAcknowledgements(devStack).filter((a) => a.ruleId === 'AwsSolutions-APIG3');
    expect(apig3).toEqual([
      {
        ruleId: 'AwsSolutions-APIG3',
        constructPath: devStack.api.deploymentStage.node.path,
        reason: expect.stringMatching(/No WAFv2 web ACL in dev/) as unknown,
      },
    ]);
  });

  test('has no blocked-requests alarm', () => {
    const names = resourcesOfType(monitoring, 'AWS::CloudWatch::Alarm').map(
      ([, r]) => r.Properties.AlarmName
    );
    expect(names).not.toContain('dev-API-WAF-Blocked-Requests');
    expect(JSON.stringify(monitoring.toJSON())).not.toMatch(/AWS\/WAFV2/);
  });
});

// ---------------------------------------------------------------------------------------------
// Bundling (the one synth of this file with esbuild on)
// ---------------------------------------------------------------------------------------------

/**
 * Opt-in (`TEST_BUNDLING=1 npx jest test/stacks/serverless-api-stack.test.ts`): CDK runs esbuild
 * once per function through `npx`, which adds 10-30 s to this file, past its ~20 s budget.
 */
const logicalId = (construct: IConstruct) =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
const bundlingTest = process.env.TEST_BUNDLING === '1' ? test : test.skip;

describe('bundling', () => {
  let outdir: string | undefined;
  afterAll(() => {
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  });

  bundlingTest(
    'each function ships as a minified bundle with its source map, no node_modules, under 1 MB',
    () => {
      const app = testApp({ bundling: true });
      const config = loadEnvironments(app.node).dev;
      const stack = new ServerlessApiStack(app, 'Api', { config });
      const assembly = app.synth();
      outdir = assembly.directory;
      const resources = assembly.getStackByName(stack.stackName).template.Resources as Record<
        string,
        Resource<{ Code: { S3Key: string } }>
      >;

      for (const name of FUNCTION_NAMES) {
        const { S3Key } = resources[logicalId(stack.functions[name].function)]!.Properties.Code;
        const assetDir = path.join(outdir, `asset.${S3Key.replace(/\.zip$/, '')}`);
        expect(fs.readdirSync(assetDir).sort()).toEqual(['index.js', 'index.js.map']);
        expect(fs.statSync(path.join(assetDir, 'index.js')).size).toBeLessThan(1024 * 1024);
      }
    }
  );
});
