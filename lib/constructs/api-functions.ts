import { CfnResource } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type ApiFunctionsConfig, type FunctionLimits, SERVICE_NAMES, TABLE_SCHEMA } from '../config';
import { type RouteFunctionName } from '../api/routes';
import { AppFunction, type FunctionConfig } from './app-function';
import { keepParentLogicalIds } from './logical-ids';
import { ORDER_EVENTS_MAX_RECEIVES } from './order-events';
import { DEPLOY_GUARD_ERRORS_THRESHOLD } from './canary-deployment';

/** Names of the API's Lambda functions: the route handlers, the authorizer, the queue consumer. */
export type ApiFunctionName = RouteFunctionName | 'authorizer' | 'orderEvents';

/** The functions that read and write the table (the route handlers). */
export const TABLE_FUNCTIONS: readonly RouteFunctionName[] = ['users', 'products', 'orders'];

/**
 * The DynamoDB actions each handler's code sends (functions/shared/<domain>/repository.ts), on the
 * table's items. A TransactWrite needs the action of each of its items (Put, Update). No Scan, no
 * BatchWriteItem: nothing calls them. test/constructs/api-functions.test.ts reads the repositories
 * and fails when a command is added there but not here.
 */
export const TABLE_ITEM_ACTIONS: Readonly<Record<RouteFunctionName, readonly string[]>> = {
  // users/repository.ts: Put (sign-up), Get, Update, Delete.
  users: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  // products/repository.ts: Put, Get, BatchGet, Update, Delete.
  products: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
  // orders/repository.ts: Get and TransactWrite (Put order and idempotency record, Update stock);
  // products/repository.ts getMany: BatchGet of the ordered products.
  orders: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
};
/** Every list (users, products, a caller's orders) is a Query of GSI1; none queries the table. */
export const INDEX_ACTIONS: readonly string[] = ['dynamodb:Query'];
/**
 * Authorizer UnexpectedFailures per minute that stop its deployment (its deploy guard counts that
 * metric, not Lambda errors): refused tokens are Deny policies and count nowhere, so every counted
 * failure is the authorizer's own (JWKS unavailable, a crash) and it gets the usual threshold.
 */
export const AUTHORIZER_DEPLOY_GUARD_ERRORS_THRESHOLD = DEPLOY_GUARD_ERRORS_THRESHOLD;

export interface ApiFunctionsProps {
  /** Log retention, removal policy and log level of every function; `name` tags their roles. */
  readonly functionConfig: FunctionConfig;
  /** Read and written by the route handlers (TABLE_NAME). Must be defined in this app. */
  readonly table: dynamodb.ITable;
  /** Whose tokens the authorizer verifies, and whose users the handlers manage. */
  readonly userPool: cognito.IUserPool;
  readonly userPoolClient: cognito.IUserPoolClient;
  /** The orders function sends order events here (ORDER_EVENTS_QUEUE_URL). */
  readonly orderEventsQueue: sqs.IQueue;
  /** Origins the handlers answer with CORS headers (CORS_ALLOWED_ORIGINS). */
  readonly corsOrigins: readonly string[];
  /** Timeout and reserved concurrency of the handlers and the authorizer. */
  readonly limits: ApiFunctionsConfig;
}

/**
 * The API's Lambda functions, each told only what it uses and granted only that: the three route
 * handlers (the table actions their code sends, Query on GSI1 only; the orders function also the
 * order-events queue), the REQUEST authorizer (the
 * user pool's ids, no data access) and the order-events consumer (nothing; its queue grants it
 * the receive when it becomes the queue's consumer).
 */
export class ApiFunctions extends Construct {
  public readonly functions: Readonly<Record<ApiFunctionName, AppFunction>>;

  constructor(scope: Construct, id: string, props: ApiFunctionsProps) {
    super(scope, id);
    // Its functions were deployed at the stack's top level: keep their logical ids.
    keepParentLogicalIds(this);
    const { table, userPool, userPoolClient } = props;
    const cfnTable = table.node.defaultChild;
    if (!CfnResource.isCfnResource(cfnTable)) {
      throw new Error(`table must be a dynamodb.Table defined in this app, got ${table.node.path}`);
    }

    const common = {
      TABLE_NAME: table.tableName,
      USER_POOL_ID: userPool.userPoolId,
      USER_POOL_CLIENT_ID: userPoolClient.userPoolClientId,
      CORS_ALLOWED_ORIGINS: props.corsOrigins.join(','),
    };
    const fn = (
      id: string,
      entry: string,
      description: string,
      environment: Record<string, string>,
      limits?: FunctionLimits
    ) =>
      new AppFunction(this, id, {
        entry,
        description,
        config: props.functionConfig,
        serviceName: SERVICE_NAMES.api,
        environment,
        timeout: limits?.timeout,
        reservedConcurrentExecutions: limits?.reservedConcurrency,
      });
    const { limits } = props;

    this.functions = {
      users: fn('UsersFunction', 'users', 'Handle user operations', common, limits.users),
      products: fn('ProductsFunction', 'products', 'Handle product operations', common, limits.products),
      orders: fn(
        'OrdersFunction',
        'orders',
        'Handle order operations',
        { ...common, ORDER_EVENTS_QUEUE_URL: props.orderEventsQueue.queueUrl },
        limits.orders
      ),
      // Verifies tokens only: no table access.
      authorizer: fn(
        'AuthorizerFunction',
        'authorizer',
        'Custom API Gateway authorizer',
        { USER_POOL_ID: userPool.userPoolId, USER_POOL_CLIENT_ID: userPoolClient.userPoolClientId },
        limits.authorizer
      ),
      // Not behind API Gateway: its timeout is the default, which the queue's visibility timeout covers.
      orderEvents: fn('OrderEventsFunction', 'order-events', 'Consume order events', {}),
    };

    // Explicit statements instead of grantReadWriteData, which adds Scan, BatchWriteItem and
    // ConditionCheckItem on the table and every index.
    const gsi1Arn = `${table.tableArn}/index/${TABLE_SCHEMA.gsi1.indexName}`;
    for (const name of TABLE_FUNCTIONS) {
      const role = this.functions[name].role;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...TABLE_ITEM_ACTIONS[name]], resources: [table.tableArn] })
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...INDEX_ACTIONS], resources: [gsi1Arn] })
      );
      // A customer-managed key, if the table ever gets one, must be usable by the same functions.
      table.encryptionKey?.grantEncryptDecrypt(role);
    }
    props.orderEventsQueue.grantSendMessages(this.functions.orders.function);
    this.acknowledgeSynchronousInvocation();
  }

  /** The Lambda function of each, by name (what deployments and alarms watch). */
  public lambdas(): Record<ApiFunctionName, lambda.Function> {
    const { users, products, orders, authorizer, orderEvents } = this.functions;
    return {
      users: users.function,
      products: products.function,
      orders: orders.function,
      authorizer: authorizer.function,
      orderEvents: orderEvents.function,
    };
  }

  /** Serverless-pack findings that do not apply to how these functions are invoked. */
  private acknowledgeSynchronousInvocation(): void {
    const { functions } = this;
    for (const name of TABLE_FUNCTIONS) {
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
  }
}
