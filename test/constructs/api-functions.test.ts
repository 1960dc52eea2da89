import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { SERVICE_NAMES } from '../../lib/config';
import { ApiFunctions, AUTHORIZER_TIMEOUT } from '../../lib/constructs/api-functions';

const FUNCTION_CONFIG = {
  name: 'test',
  logRetention: logs.RetentionDays.ONE_DAY,
  removalPolicy: RemovalPolicy.DESTROY,
  logLevel: 'INFO',
} as const;

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

  test('the authorizer has the shorter timeout and no table', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: AUTHORIZER_TIMEOUT.toSeconds(),
      Environment: {
        Variables: Match.objectLike({ TABLE_NAME: Match.absent(), USER_POOL_CLIENT_ID: Match.anyValue() }),
      },
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
