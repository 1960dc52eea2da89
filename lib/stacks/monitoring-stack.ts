import { type CfnOutput } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { type Construct } from 'constructs';
import { SERVICE_NAMES } from '../config';
import { AlarmNotifications } from '../constructs/alarm-notifications';
import { AppFunction } from '../constructs/app-function';
import { BakeRole } from '../constructs/bake-role';
import { authorizerUnexpectedFailures, ServiceAlarms } from '../constructs/service-alarms';
import { SystemDashboard } from '../constructs/system-dashboard';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';

export interface MonitoringStackProps extends EnvironmentStackProps {
  /** The REST API: request count, latency and 4XX/5XX errors. */
  readonly api: apigw.RestApi;
  /** The API's functions by name; each gets dashboard widgets and an `Lambda-<name>-Errors` alarm. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The primary PostgreSQL instance. */
  readonly database: rds.IDatabaseInstance;
  /** The application's DynamoDB table. */
  readonly table: dynamodb.ITable;
  readonly orderEventsQueue: sqs.IQueue;
  readonly orderEventsDeadLetterQueue: sqs.IQueue;
  /** Id of the Redis replication group; its nodes are `<id>-001`, `<id>-002`, ... */
  readonly redisReplicationGroupId: string;
  /** @default REDIS_NODE_COUNT */
  readonly redisNodeCount?: number;
  /**
   * Name of the API's WAFv2 web ACL (REGIONAL, this stack's region): adds the blocked-requests alarm.
   * A plain name, not a reference: the alarm's metric dimension needs nothing from the API stack.
   * @default - no web ACL, no alarm
   */
  readonly wafWebAclName?: string;
  /** SuccessPercent of the API canary's runs (ServerlessApi's ApiCanary): the canary alarm. */
  readonly canarySuccessPercent: cloudwatch.IMetric;
  /**
   * The pipeline's account: where the config asks for a bake time, a role it may assume to read
   * this environment's alarms (the bake step). @default - no bake role
   */
  readonly pipelineAccount?: string;
}

/**
 * Observability for one environment: where alarms go (AlarmNotifications), the alarms on the API,
 * its functions, the database and the dead-letter queues (ServiceAlarms), the "system-overview"
 * dashboard, the business-metrics publisher and, where the pipeline bakes, its read-only role.
 */
export class MonitoringStack extends EnvironmentStack {
  public readonly notifications: AlarmNotifications;
  public readonly alarms: ServiceAlarms;
  public readonly metricsPublisher: AppFunction;
  public readonly dashboard: SystemDashboard;
  /** Read-only access to this account's alarms for the pipeline's bake step; where the config bakes. */
  public readonly bakeRole?: BakeRole;
  /** The bake role's ARN, for the pipeline step (`envFromCfnOutputs`). */
  public readonly bakeRoleArnOutput?: CfnOutput;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.notifications = new AlarmNotifications(this, 'Notifications', {
      environmentName: config.name,
      alarmEmail: config.alarmEmail,
      removalPolicy: config.removalPolicy,
      functionConfig: config,
    });

    // Publishes through CloudWatch embedded metric format on stdout: no cloudwatch:PutMetricData at all.
    this.metricsPublisher = new AppFunction(this, 'MetricsPublisher', {
      entry: 'metrics-publisher',
      description: 'Publish business metrics (embedded metric format)',
      config,
      serviceName: SERVICE_NAMES.businessMetrics,
    });
    this.metricsPublisher.acknowledgeNoAsyncInvocation(
      'it has no trigger; callers invoke it synchronously and get the published metrics or the ' +
        'payload validation error back'
    );

    this.alarms = new ServiceAlarms(this, 'Alarms', {
      environmentName: config.name,
      alarmAction: this.notifications.alarmAction,
      api: props.api,
      functions: props.functions,
      // The authorizer answers refused tokens with a Deny policy: its Lambda errors are not its
      // failures, and a crash is counted by its own metric.
      errorsMetrics: 'authorizer' in props.functions ? { authorizer: authorizerUnexpectedFailures() } : {},
      database: props.database,
      orderEventsDeadLetterQueue: props.orderEventsDeadLetterQueue,
      notificationDeadLetterQueue: this.notifications.deadLetterQueue,
      wafWebAclName: props.wafWebAclName,
      canarySuccessPercent: props.canarySuccessPercent,
      canarySuccessPercentThreshold: config.synthetics.successPercentThreshold,
    });

    if (props.pipelineAccount !== undefined && config.bakeTime.toSeconds() > 0) {
      this.bakeRole = new BakeRole(this, 'Bake', {
        environmentName: config.name,
        pipelineAccount: props.pipelineAccount,
        bakeTime: config.bakeTime,
      });
      this.bakeRoleArnOutput = this.bakeRole.arnOutput;
    }

    this.dashboard = new SystemDashboard(this, 'Dashboard', {
      environmentName: config.name,
      alarms: this.alarms.all,
      api: props.api,
      functions: props.functions,
      database: props.database,
      table: props.table,
      orderEventsQueue: props.orderEventsQueue,
      orderEventsDeadLetterQueue: props.orderEventsDeadLetterQueue,
      redisReplicationGroupId: props.redisReplicationGroupId,
      redisNodeCount: props.redisNodeCount,
      wafWebAclName: props.wafWebAclName,
      canarySuccessPercent: props.canarySuccessPercent,
    });
  }
}
