import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type EnvironmentConfig } from '../config';
import { functionCode } from './function-code';

export const DEFAULT_MEMORY_MB = 256;
export const DEFAULT_TIMEOUT = Duration.seconds(30);
/** The newest Node.js runtime of the installed aws-cdk-lib (AwsSolutions-L1 flags older ones). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * What a function takes from its environment's config; the pipeline's own functions, which belong
 * to no environment, pass their settings in this shape (`name` tags the role description).
 */
export type FunctionConfig = Pick<EnvironmentConfig, 'logRetention' | 'removalPolicy' | 'logLevel'> & {
  readonly name: string;
};

export interface AppFunctionProps {
  /** Folder name under functions/, e.g. `orders`. */
  readonly entry: string;
  readonly description: string;
  readonly config: FunctionConfig;
  /** Value of POWERTOOLS_SERVICE_NAME. */
  readonly serviceName: string;
  readonly environment?: Record<string, string>;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** @default - unreserved: the account's shared pool */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The team's Lambda defaults in one place: current Node.js on arm64, X-Ray, an explicit log
 * group with retention, a least-privilege role (no AWS managed policy), and its esbuild bundle
 * (function-code.ts).
 */
export class AppFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const { config } = props;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole: logs only to this function's group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (${config.name})`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      })
    );

    this.function = new lambda.Function(this, 'Function', {
      code: functionCode(props.entry),
      handler: 'index.handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        LOG_LEVEL: config.logLevel,
        ...props.environment,
      },
    });

    const stack = Stack.of(this);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    });
    // The log-group ARN ends in `:*` (log streams): scoped to this function's own group.
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:*]`,
      reason: "Log streams of this function's own log group only.",
    });
  }

  /**
   * Acknowledges the `<table>/index/*` finding that `table.grant*Data` adds: the function
   * queries the table's own GSIs.
   */
  public acknowledgeTableIndexAccess(tableLogicalId: string): void {
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason: "Queries this application's own table indexes (GSI1).",
    });
  }

  /**
   * Acknowledges Serverless-LambdaDLQ for a function nothing invokes asynchronously: a dead-letter
   * queue (DeadLetterConfig) only ever receives events of failed asynchronous invocations.
   *
   * @param invokedBy who invokes the function and where its failures surface instead
   */
  public acknowledgeNoAsyncInvocation(invokedBy: string): void {
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        `Never invoked asynchronously: ${invokedBy}. A dead-letter queue only receives failed ` +
        'asynchronous invocations, so it would stay empty.',
    });
  }
}
