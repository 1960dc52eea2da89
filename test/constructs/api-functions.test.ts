import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { type ApiFunctionsConfig, SERVICE_NAMES } from '../../lib/config';
import {
  ApiFunctions,
  INDEX_ACTIONS,
  TABLE_FUNCTIONS,
  TABLE_ITEM_ACTIONS,
} from '../../lib/constructs/api-functions';

interface Statement {
  readonly Action: string | string[];
}
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

const FUNCTION_CONFIG = {
  name: 'test',
  logRetention: logs.RetentionDays.ONE_DAY,
  removalPolicy: RemovalPolicy.DESTROY,
  logLevel: 'INFO',
} as const;

/** Distinct values, so each function's settings can be told apart in the template. */
const LIMITS: ApiFunctionsConfig = {
  users: { timeout: Duration.seconds(11) },
  products: { timeout: Duration.seconds(12) },
  orders: { timeout: Duration.seconds(21), reservedConcurrency: 7 },
  authorizer: { timeout: Duration.seconds(4), reservedConcurrency: 9 },
};

function build(tableOf: (stack: Stack) => dynamodb.ITable) {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  const userPool = new cognito.UserPool(stack, 'Pool');
  const fns = new ApiFunctions(stack, 'Functions', {
    functionConfig: FUNCTION_CONFIG,
    table: tableOf(stack),
    userPool,
    userPoolClient: userPool.addClient('Client'),
    orderEventsQueue: new sqs.Queue(stack, 'Queue'),
    corsOrigins: ['https://a.example.com', 'https://b.example.com'],
    limits: LIMITS,
  });
  return { stack, fns };
}
const ownTable = (stack: Stack) =>
  new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING } });

describe('ApiFunctions', () => {
  const { stack, fns } = build(ownTable);
  const template = Template.fromStack(stack);

  test('five functions of the api service', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.api }) } },
      5
    );
  });

  test('the handlers get the table, the pool and the CORS origins; only orders the queue', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({
            TABLE_NAME: Match.anyValue(),
            CORS_ALLOWED_ORIGINS: 'https://a.example.com,https://b.example.com',
          }),
        },
      },
      3
    );
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ ORDER_EVENTS_QUEUE_URL: Match.anyValue() }) } },
      1
    );
  });

  test('the authorizer has its configured timeout and reserved concurrency, and no table', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 4,
      ReservedConcurrentExecutions: 9,
      Environment: {
        Variables: Match.objectLike({ TABLE_NAME: Match.absent(), USER_POOL_CLIENT_ID: Match.anyValue() }),
      },
    });
  });

  test.each([
    ['users', 'Handle user operations', 11, undefined],
    ['products', 'Handle product operations', 12, undefined],
    ['orders', 'Handle order operations', 21, 7],
  ] as const)('%s gets its configured timeout and reservation', (_name, description, timeout, reserved) => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: description,
      Timeout: timeout,
      ReservedConcurrentExecutions: reserved ?? Match.absent(),
    });
  });

  test('lambdas() gives the Lambda function of each', () => {
    expect(Object.keys(fns.lambdas()).sort()).toEqual([
      'authorizer',
      'orderEvents',
      'orders',
      'products',
      'users',
    ]);
    expect(fns.lambdas().orders).toBe(fns.functions.orders.function);
  });

  test('throws when the table is not defined in the app', () => {
    expect(() => build((stack) => dynamodb.Table.fromTableName(stack, 'Imported', 'other'))).toThrow(
      /table must be a dynamodb.Table defined in this app, got Test\/Imported/
    );
  });
});

describe('ApiFunctions table permissions', () => {
  const { stack, fns } = build(ownTable);
  const template = Template.fromStack(stack);
  const tableArn = {
    'Fn::GetAtt': [
      stack.getLogicalId(stack.node.findChild('Table').node.defaultChild as dynamodb.CfnTable),
      'Arn',
    ],
  };
  const statementsOf = (name: (typeof TABLE_FUNCTIONS)[number]) => {
    const roleId = stack.getLogicalId(fns.functions[name].role.node.defaultChild as iam.CfnRole);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }] },
    });
    return Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement
    );
  };
  const dynamoStatements = (name: (typeof TABLE_FUNCTIONS)[number]) =>
    statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

  test.each(TABLE_FUNCTIONS.map((n) => [n] as const))(
    '%s gets exactly its item actions on the table and Query on GSI1 only',
    (name) => {
      expect(dynamoStatements(name)).toEqual([
        { Effect: 'Allow', Action: [...TABLE_ITEM_ACTIONS[name]], Resource: tableArn },
        {
          Effect: 'Allow',
          Action: INDEX_ACTIONS[0],
          Resource: { 'Fn::Join': ['', [tableArn, '/index/GSI1']] },
        },
      ]);
    }
  );

  test.each(TABLE_FUNCTIONS.map((n) => [n] as const))(
    '%s may not Scan, BatchWriteItem or use any wildcard action or index',
    (name) => {
      const actions = dynamoStatements(name).flatMap(actionsOf);
      for (const refused of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem']) {
        expect(actions).not.toContain(refused);
      }
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
      expect(JSON.stringify(dynamoStatements(name))).not.toContain('/index/*');
    }
  );

  /**
   * The repository code each handler runs: its own repository, and for orders the products
   * repository's methods that the order service calls (`this.products.<method>`).
   */
  const repositoryDir = path.join(__dirname, '../../functions/shared');
  const read = (file: string) => fs.readFileSync(path.join(repositoryDir, file), 'utf8');
  /** The source of the named methods of a repository class (each `  async name(` up to the next). */
  const methods = (source: string, names: readonly string[]) =>
    source
      .split(/\n(?= {2}async )/)
      .filter((chunk) => names.some((n) => chunk.startsWith(`  async ${n}(`)))
      .join('\n');
  const orderServiceCalls = [
    ...new Set([...read('orders/service.ts').matchAll(/this\.products\.(\w+)\(/g)].map((m) => m[1]!)),
  ];
  const CODE_OF: Record<(typeof TABLE_FUNCTIONS)[number], () => string> = {
    users: () => read('users/repository.ts'),
    products: () => read('products/repository.ts'),
    orders: () => read('orders/repository.ts') + methods(read('products/repository.ts'), orderServiceCalls),
  };
  /** IAM action of each DocumentClient command and TransactWrite item kind. */
  const ACTION_OF: Record<string, string> = {
    GetCommand: 'dynamodb:GetItem',
    PutCommand: 'dynamodb:PutItem',
    UpdateCommand: 'dynamodb:UpdateItem',
    DeleteCommand: 'dynamodb:DeleteItem',
    BatchGetCommand: 'dynamodb:BatchGetItem',
    BatchWriteCommand: 'dynamodb:BatchWriteItem',
    ScanCommand: 'dynamodb:Scan',
    QueryCommand: 'dynamodb:Query',
    'Put:': 'dynamodb:PutItem',
    'Update:': 'dynamodb:UpdateItem',
    'Delete:': 'dynamodb:DeleteItem',
    'ConditionCheck:': 'dynamodb:ConditionCheckItem',
  };

  test('the order service reads products through getMany only', () => {
    expect(orderServiceCalls).toEqual(['getMany']);
  });

  test.each(TABLE_FUNCTIONS.map((n) => [n] as const))(
    "%s's granted actions are exactly those its repositories send (a new command fails here)",
    (name) => {
      const sent = new Set<string>();
      for (const m of CODE_OF[name]().matchAll(/new (\w+Command)\(|\b(Put|Update|Delete|ConditionCheck):/g)) {
        const key = m[1] ?? `${m[2]}:`;
        if (key === 'TransactWriteCommand') continue; // its items' actions are counted instead
        const action = ACTION_OF[key];
        if (!action) throw new Error(`no IAM action known for ${key} in the ${name} repositories`);
        sent.add(action);
      }
      const granted = new Set(dynamoStatements(name).flatMap(actionsOf));
      expect([...granted].sort()).toEqual([...sent].sort());
    }
  );
});
