import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { type IConstruct } from 'constructs';
import { TABLE_SCHEMA } from '../../../functions/shared/table-schema';
import { ENVIRONMENT_NAMES, type EnvironmentName, loadEnvironments } from '../../../lib/config';
import { type ApiFunctionName, ServerlessApiStack } from '../../../lib/stacks/serverless-api-stack';
import { templateOf, testApp } from '../../support/app';
import { API_FUNCTION_NAMES as FUNCTION_NAMES, configs, stages } from './stages-fixture';

const dev = templateOf(stages.dev.api);
const staging = templateOf(stages.staging.api);
const prod = templateOf(stages.prod.api);

type Template = typeof dev;
const templates: Record<EnvironmentName, Template> = { dev, staging, prod };
const ALL_ENVS = ENVIRONMENT_NAMES.map((env) => [env] as const);

// ---------------------------------------------------------------------------------------------
// Template access
// ---------------------------------------------------------------------------------------------

interface Resource<P = Record<string, unknown>> {
  readonly Type: string;
  readonly Properties: P;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** A reference as CloudFormation writes it: `{ Ref }` or `{ Fn::GetAtt: [id, attr] }`. */
interface Reference {
  readonly Ref?: string;
  readonly 'Fn::GetAtt'?: readonly [string, string];
}

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

interface PolicyProps {
  readonly PolicyDocument: { readonly Statement: Statement[] };
  readonly Roles: Reference[];
}

interface RoleProps {
  readonly ManagedPolicyArns?: unknown[];
  readonly Policies?: { PolicyDocument: { Statement: Statement[] } }[];
}

interface FunctionProps {
  readonly Runtime: string;
  readonly Architectures: string[];
  readonly MemorySize: number;
  readonly Timeout: number;
  readonly TracingConfig: { Mode: string };
  readonly Environment: { Variables: Record<string, unknown> };
  readonly LoggingConfig: { LogGroup: Reference };
  readonly Role: Reference;
}

interface IntegrationResponse {
  readonly StatusCode: string;
  readonly ResponseParameters?: Record<string, string>;
  readonly ResponseTemplates?: Record<string, string>;
}

interface MethodProps {
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
    readonly IntegrationHttpMethod?: string;
    readonly Uri?: unknown;
    readonly CacheKeyParameters?: string[];
    readonly RequestTemplates?: Record<string, string>;
    readonly IntegrationResponses?: IntegrationResponse[];
  };
}

interface MethodSetting {
  readonly ResourcePath: string;
  readonly HttpMethod: string;
  readonly CachingEnabled?: boolean;
  readonly CacheTtlInSeconds?: number;
  readonly CacheDataEncrypted?: boolean;
  readonly DataTraceEnabled?: boolean;
  readonly LoggingLevel?: string;
  readonly MetricsEnabled?: boolean;
  readonly ThrottlingRateLimit?: number;
  readonly ThrottlingBurstLimit?: number;
}

interface StageProps {
  readonly StageName: string;
  readonly CacheClusterEnabled?: boolean;
  readonly CacheClusterSize?: string;
  readonly TracingEnabled?: boolean;
  readonly AccessLogSetting: { DestinationArn: unknown; Format: string };
  readonly MethodSettings: MethodSetting[];
}

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

/** The API canary has its own key and usage plan (test/stacks/suites/api-canary.ts). */
const NOT_THE_CANARYS = (logicalId: string) => !logicalId.startsWith('ApiCanary');

const logicalId = (construct: IConstruct) =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** Logical ids of the stack's resources, read off the constructs (they differ per stage). */
function idsOf(stack: ServerlessApiStack) {
  const fn = (name: ApiFunctionName) => ({
    function: logicalId(stack.functions[name].function),
    /** The `live` alias: what API Gateway, the authorizer and the event source invoke. */
    alias: logicalId(stack.deployment.aliases[name]),
    role: logicalId(stack.functions[name].role),
    logGroup: logicalId(stack.functions[name].logGroup),
  });
  return {
    userPool: logicalId(stack.userPool),
    userPoolClient: logicalId(stack.userPoolClient),
    table: logicalId(stack.table),
    queue: logicalId(stack.orderEventsQueue),
    deadLetterQueue: logicalId(stack.orderEventsDeadLetterQueue),
    authorizer: logicalId(stack.authorizer),
    requestValidator: logicalId(stack.requestValidator),
    api: logicalId(stack.api),
    stage: logicalId(stack.api.deploymentStage),
    accessLogs: logicalId(stack.node.findChild('ApiAccessLogs')),
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
  dev: idsOf(stages.dev.api),
  staging: idsOf(stages.staging.api),
  prod: idsOf(stages.prod.api),
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

  test('belongs to the user pool and allows SRP, password, admin password and refresh flows only', () => {
    expect(client('prod').UserPoolId).toEqual({ Ref: ids.prod.userPool });
    expect([...(client('prod').ExplicitAuthFlows as string[])].sort()).toEqual([
      'ALLOW_ADMIN_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
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

  test("the stack has exactly the five API functions, and the canary user's provider", () => {
    expect(
      resourcesOfType(prod, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort()
    ).toEqual(
      [
        ...FUNCTION_NAMES.map((name) => ids.prod.functions[name].function),
        // The Custom::ApiCanaryUser provider (test/stacks/suites/api-canary.ts).
        logicalId(stages.prod.api.canary.user.provider.function),
      ].sort()
    );
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

  test('time out after 30 s, the authorizer after 10 s', () => {
    for (const name of ['users', 'products', 'orders', 'orderEvents'] as const) {
      expect(fn('prod', name).Timeout).toBe(30);
    }
    expect(fn('prod', 'authorizer').Timeout).toBe(10);
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
  const tableResources = [
    getAttArn(ids.prod.table),
    { 'Fn::Join': ['', [getAttArn(ids.prod.table), '/index/*']] },
  ];

  test('the authorizer has no DynamoDB or SQS permission at all', () => {
    expect(actions('authorizer').length).toBeGreaterThan(0);
    expect(actions('authorizer').filter((a) => /^(dynamodb|sqs):/i.test(a))).toEqual([]);
  });

  test.each(TABLE_FUNCTIONS.map((name) => [name] as const))(
    '%s can read and write the table and its indexes',
    (name) => {
      const dynamo = statements(name).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      expect(dynamo[0]).toMatchObject({ Effect: 'Allow', Resource: tableResources });
      expect(actionsOf(dynamo[0]!)).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
        ])
      );
      expect(actionsOf(dynamo[0]!)).not.toContain('dynamodb:*');
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
      [logicalId(stages.prod.api.api.node.findChild('CloudWatchRole'))]: expect.stringMatching(
        /:iam::aws:policy\/service-role\/AmazonAPIGatewayPushToCloudWatchLogs"\]\]\}\]$/
      ),
      [logicalId(stages.prod.api.deployment.role)]: expect.stringMatching(
        /:iam::aws:policy\/service-role\/AWSCodeDeployRoleForLambdaLimited"\]\]\}\]$/
      ),
    });
    for (const [, role] of withManaged) expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
    // + API Gateway's logging role, CodeDeploy's, the API canary's and its user provider's
    // (test/stacks/suites/api-canary.ts).
    expect(roles.length).toBe(FUNCTION_NAMES.length + 4);
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
      ['ACCESS_DENIED', /^\{"error": "forbidden", /],
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

  test.each(ALL_ENVS)("%s: the stage exposes the API stack's ApiUrl output as apiUrl", (env) => {
    const stage = stages[env];
    expect(stage.apiUrl).toBe(stage.api.apiUrlOutput);
    expect(stage.apiUrl.node.id).toBe('ApiUrl');
    expect(Stack.of(stage.apiUrl)).toBe(stage.api);
  });
});

test('pins the logical ids of the table and the user pool (renaming them would replace them)', () => {
  for (const env of ENVIRONMENT_NAMES) {
    expect(resourceById(templates[env], 'ApiDataTableC1EC4CE3').Type).toBe('AWS::DynamoDB::Table');
    expect(resourceById(templates[env], 'ApiUserPool7811AFAD').Type).toBe('AWS::Cognito::UserPool');
  }
});

// ---------------------------------------------------------------------------------------------
// Bundling (the one synth of this file with esbuild on)
// ---------------------------------------------------------------------------------------------

/**
 * Opt-in (`TEST_BUNDLING=1 npx jest test/stacks/stage-stacks.test.ts`): CDK runs esbuild
 * once per function through `npx`, which adds 10-30 s to this file, past its ~20 s budget.
 */
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
