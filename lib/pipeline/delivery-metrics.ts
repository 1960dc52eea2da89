import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DELIVERY_METRICS_NAMESPACE,
  METRIC_NAMES,
  PIPELINE_DIMENSION,
  type MetricName,
} from '../../functions/shared/delivery-metrics/compute';
import {
  CODEPIPELINE_SOURCE,
  PIPELINE_EXECUTION_DETAIL_TYPE,
} from '../../functions/shared/delivery-metrics/events';
import { DELIVERY_METRICS_TABLE_SCHEMA } from '../../functions/shared/delivery-metrics/table-schema';
import { SERVICE_NAMES } from '../config';
import { AppFunction, type FunctionConfig } from '../constructs/app-function';
import { controlTowerRule } from '../config/rule-packs';

/** Powertools service name of the function: the `service` dimension of its metrics. */
export const DELIVERY_METRICS_SERVICE_NAME = SERVICE_NAMES.deliveryMetrics;
/**
 * The function's settings: the pipeline belongs to no environment. Its history and logs are kept
 * (retained) like prod's: they are the pipeline's record.
 */
export const DELIVERY_METRICS_FUNCTION_CONFIG: FunctionConfig = {
  name: 'pipeline',
  logRetention: logs.RetentionDays.THREE_MONTHS,
  removalPolicy: RemovalPolicy.RETAIN,
  logLevel: 'INFO',
};
/** EventBridge retries a failed delivery this often, then the event goes to the dead-letter queue. */
export const DELIVERY_METRICS_RETRY_ATTEMPTS = 4;
/** Events that could not be applied wait here the SQS maximum, for an operator to redrive. */
export const DELIVERY_METRICS_DLQ_RETENTION = Duration.days(14);
/** Delivery metrics change a few times a day: the dashboard graphs daily values. */
export const DASHBOARD_PERIOD = Duration.days(1);

const GRAPH_WIDTH = 8;
const GRAPH_HEIGHT = 6;

export interface DeliveryMetricsProps {
  /** The built CodePipeline (`pipelines.CodePipeline.pipeline`, available after `buildPipeline()`). */
  readonly pipeline: codepipeline.IPipeline;
  /** The pipeline's name: the `pipeline` dimension of the metrics and the dashboard's name. */
  readonly pipelineName: string;
}

/**
 * The pipeline's delivery metrics (lead time, deployment frequency, mean time between failures,
 * mean time to recover): an EventBridge rule sends the pipeline's execution state changes to the
 * delivery-metrics function, which keeps each pipeline's history in a small DynamoDB table and
 * publishes the metrics in embedded metric format; a dashboard shows them.
 */
export class DeliveryMetrics extends Construct {
  public readonly table: dynamodb.Table;
  public readonly function: AppFunction;
  public readonly rule: events.Rule;
  /** Events the function failed on, after EventBridge's and Lambda's retries. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DeliveryMetricsProps) {
    super(scope, id);
    const { partitionKey, sortKey, timeToLiveAttribute } = DELIVERY_METRICS_TABLE_SCHEMA;

    this.table = new dynamodb.Table(this, 'HistoryTable', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      // The history the means are computed over: lost, the metrics start again from zero.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DELIVERY_METRICS_DLQ_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter queue of the delivery-metrics rule target and of the ' +
          "function's asynchronous invocations, which the rule does not recognise.",
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'This queue is itself the last stop of pipeline events the function failed on: nothing consumes ' +
          `it, messages stay ${DELIVERY_METRICS_DLQ_RETENTION.toDays()} days for an operator to redrive.`,
      },
      {
        id: controlTowerRule('sqs_dlq_check'),
        reason:
          'This queue is itself the dead-letter queue of the delivery metrics; a dead-letter queue of its ' +
          'own would only move the failed events one queue further.',
      }
    );

    this.function = new AppFunction(this, 'Function', {
      entry: 'delivery-metrics',
      description: 'Compute delivery metrics from pipeline execution state changes',
      config: DELIVERY_METRICS_FUNCTION_CONFIG,
      serviceName: DELIVERY_METRICS_SERVICE_NAME,
      environment: { TABLE_NAME: this.table.tableName },
    });
    this.table.grantReadWriteData(this.function.function);
    this.function.function.configureAsyncInvoke({
      onFailure: new lambdaDestinations.SqsDestination(this.deadLetterQueue),
    });
    Validations.of(this.function.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to the DeadLetterQueue through an on-failure destination, the ' +
        'successor of DeadLetterConfig that also records the error; the rule checks only the latter.',
    });

    this.rule = new events.Rule(this, 'ExecutionStateChanges', {
      description: `Execution state changes of ${props.pipelineName} → delivery metrics`,
      eventPattern: {
        source: [CODEPIPELINE_SOURCE],
        detailType: [PIPELINE_EXECUTION_DETAIL_TYPE],
        resources: [props.pipeline.pipelineArn],
      },
      targets: [
        new targets.LambdaFunction(this.function.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: DELIVERY_METRICS_RETRY_ATTEMPTS,
        }),
      ],
    });

    this.dashboard = this.createDashboard(props.pipelineName);
  }

  /** A delivery metric of this pipeline, daily. */
  public metric(name: MetricName, statistic: string, pipelineName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: DELIVERY_METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: DELIVERY_METRICS_SERVICE_NAME, [PIPELINE_DIMENSION]: pipelineName },
      statistic,
      period: DASHBOARD_PERIOD,
    });
  }

  private createDashboard(pipelineName: string): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${pipelineName}-delivery-metrics`,
      defaultInterval: Duration.days(30),
    });
    const m = (name: MetricName, statistic: string, label: string) =>
      this.metric(name, statistic, pipelineName).with({ label });
    const graph = (title: string, left: cloudwatch.IMetric[], unit?: string) =>
      new cloudwatch.GraphWidget({
        title,
        left,
        width: GRAPH_WIDTH,
        height: GRAPH_HEIGHT,
        ...(unit ? { leftYAxis: { label: unit, showUnits: false } } : {}),
      });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `## Delivery metrics of ${pipelineName}\n` +
          'Lead time: execution start to prod success. Deployment frequency: prod deployments per day ' +
          'over the last 7 days. MTBF: mean time between failed executions. MTTR: mean time from a ' +
          'failed execution to the next success.',
        width: 24,
        height: 2,
      })
    );
    dashboard.addWidgets(
      graph(
        'Lead time (seconds)',
        [
          m(METRIC_NAMES.leadTime, cloudwatch.Stats.AVERAGE, 'Average'),
          m(METRIC_NAMES.leadTime, cloudwatch.Stats.MAXIMUM, 'Maximum'),
        ],
        'seconds'
      ),
      graph('Deployments per day', [
        m(METRIC_NAMES.deployments, cloudwatch.Stats.SUM, 'Deployments'),
        m(METRIC_NAMES.deploymentFrequency, cloudwatch.Stats.MAXIMUM, '7-day average per day'),
      ]),
      graph('Failed executions per day', [m(METRIC_NAMES.failures, cloudwatch.Stats.SUM, 'Failures')])
    );
    dashboard.addWidgets(
      graph(
        'Mean time between failures (seconds)',
        [
          m(METRIC_NAMES.meanTimeBetweenFailures, cloudwatch.Stats.MAXIMUM, 'MTBF'),
          m(METRIC_NAMES.timeBetweenFailures, cloudwatch.Stats.AVERAGE, 'Between failures'),
        ],
        'seconds'
      ),
      graph(
        'Mean time to recover (seconds)',
        [
          m(METRIC_NAMES.meanTimeToRecover, cloudwatch.Stats.MAXIMUM, 'MTTR'),
          m(METRIC_NAMES.timeToRecover, cloudwatch.Stats.AVERAGE, 'Time to recover'),
        ],
        'seconds'
      ),
      graph('Delivery metrics function', [
        this.function.function.metricErrors({ statistic: cloudwatch.Stats.SUM, period: DASHBOARD_PERIOD }),
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: DASHBOARD_PERIOD,
          label: 'Dead-letter queue',
        }),
      ])
    );
    return dashboard;
  }
}
