import { Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACES, REDIS_NODE_COUNT, SERVICE_NAMES } from '../config';
import { keepParentLogicalIds } from './logical-ids';
import { MONITORING_PERIOD, wafRequests } from './service-alarms';

const GRAPH_WIDTH = 8;
const GRAPH_HEIGHT = 6;
const FULL_WIDTH = 24;

export interface SystemDashboardProps {
  /** Names the dashboard `<environmentName>-system-overview`. */
  readonly environmentName: string;
  /** Shown first, in one alarm-status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The REST API: request count, latency and 4XX/5XX errors. */
  readonly api: apigw.RestApiBase;
  /** Functions by name: invocations, duration and errors of each. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The primary PostgreSQL instance: CPU and connections. */
  readonly database: rds.IDatabaseInstance;
  /** The application's DynamoDB table: throttled requests. */
  readonly table: dynamodb.ITable;
  readonly orderEventsQueue: sqs.IQueue;
  readonly orderEventsDeadLetterQueue: sqs.IQueue;
  /** Id of the Redis replication group; its nodes are `<id>-001`, `<id>-002`, ... */
  readonly redisReplicationGroupId: string;
  /** @default REDIS_NODE_COUNT */
  readonly redisNodeCount?: number;
  /**
   * Name of the API's WAFv2 web ACL (REGIONAL, this stack's region).
   * @default - no web ACL, no WAF graph
   */
  readonly wafWebAclName?: string;
  /** SuccessPercent of the API canary's runs. */
  readonly canarySuccessPercent: cloudwatch.IMetric;
}

/**
 * The "<env>-system-overview" dashboard: alarms, then API Gateway, Lambda, the data stores, the
 * order-events queue and the business metrics, one row of graphs each.
 */
export class SystemDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SystemDashboardProps) {
    super(scope, id);
    keepParentLogicalIds(this);
    const redisNodeCount = props.redisNodeCount ?? REDIS_NODE_COUNT;
    if (!Number.isInteger(redisNodeCount) || redisNodeCount < 1) {
      throw new Error(`redisNodeCount must be a positive integer, got ${redisNodeCount}`);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'SystemDashboard', {
      dashboardName: `${props.environmentName}-system-overview`,
    });
    const period = MONITORING_PERIOD;
    const { api, database, table } = props;

    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...props.alarms],
        width: FULL_WIDTH,
        height: 3,
      })
    );

    this.dashboard.addWidgets(heading('API Gateway'));
    this.dashboard.addWidgets(
      graph('API Gateway Requests', [api.metricCount({ statistic: cloudwatch.Stats.SUM, period })]),
      graph('API Gateway Latency', [
        api.metricLatency({ statistic: cloudwatch.Stats.AVERAGE, period, label: 'Average' }),
        api.metricLatency({ statistic: cloudwatch.Stats.p(99), period, label: 'p99' }),
      ]),
      graph('API Gateway Errors', [
        api.metricClientError({ statistic: cloudwatch.Stats.SUM, period, label: '4XX' }),
        api.metricServerError({ statistic: cloudwatch.Stats.SUM, period, label: '5XX' }),
      ])
    );
    this.dashboard.addWidgets(graph('API Canary - Successful Runs (%)', [props.canarySuccessPercent]));
    if (props.wafWebAclName !== undefined) {
      const region = Stack.of(this).region;
      this.dashboard.addWidgets(
        graph('API WAF - Allowed and Blocked Requests', [
          wafRequests(props.wafWebAclName, region, 'AllowedRequests'),
          wafRequests(props.wafWebAclName, region, 'BlockedRequests'),
        ])
      );
    }

    this.dashboard.addWidgets(heading('Lambda functions'));
    for (const [name, fn] of Object.entries(props.functions)) {
      this.dashboard.addWidgets(
        graph(`Lambda ${name} - Invocations`, [
          fn.metricInvocations({ statistic: cloudwatch.Stats.SUM, period }),
        ]),
        graph(`Lambda ${name} - Duration`, [
          fn.metricDuration({ statistic: cloudwatch.Stats.AVERAGE, period, label: 'Average' }),
          fn.metricDuration({ statistic: cloudwatch.Stats.p(99), period, label: 'p99' }),
        ]),
        graph(`Lambda ${name} - Errors`, [fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period })])
      );
    }

    this.dashboard.addWidgets(heading('Data stores'));
    const redisNodes = Array.from({ length: redisNodeCount }, (_, i) => String(i + 1).padStart(3, '0'));
    const redisMetric = (metricName: string) =>
      redisNodes.map(
        (node) =>
          new cloudwatch.Metric({
            namespace: 'AWS/ElastiCache',
            metricName,
            dimensionsMap: { CacheClusterId: `${props.redisReplicationGroupId}-${node}` },
            statistic: cloudwatch.Stats.AVERAGE,
            period,
            label: `node ${node}`,
          })
      );
    this.dashboard.addWidgets(
      graph('RDS CPU Utilization', [
        database.metricCPUUtilization({ statistic: cloudwatch.Stats.AVERAGE, period }),
      ]),
      graph('RDS Connections', [
        database.metricDatabaseConnections({ statistic: cloudwatch.Stats.AVERAGE, period }),
      ]),
      graph('DynamoDB Throttled Requests', [table.metricThrottledRequestsForOperations({ period })])
    );
    this.dashboard.addWidgets(
      graph('Redis Engine CPU Utilization', redisMetric('EngineCPUUtilization')),
      graph('Redis Memory Usage', redisMetric('DatabaseMemoryUsagePercentage'))
    );

    this.dashboard.addWidgets(heading('Order events queue'));
    const maximum = { statistic: cloudwatch.Stats.MAXIMUM, period };
    this.dashboard.addWidgets(
      graph('Order Events - Age of Oldest Message', [
        props.orderEventsQueue.metricApproximateAgeOfOldestMessage(maximum),
      ]),
      graph('Order Events - Visible Messages', [
        props.orderEventsQueue.metricApproximateNumberOfMessagesVisible({ ...maximum, label: 'Queue' }),
        props.orderEventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          ...maximum,
          label: 'Dead-letter queue',
        }),
      ])
    );

    // The API functions and the metrics publisher publish the same metrics under their own service name.
    const businessMetric = (namespace: string, metricName: string) =>
      [SERVICE_NAMES.api, SERVICE_NAMES.businessMetrics].map(
        (service) =>
          new cloudwatch.Metric({
            namespace,
            metricName,
            dimensionsMap: { service },
            statistic: cloudwatch.Stats.SUM,
            period,
            label: service,
          })
      );
    this.dashboard.addWidgets(heading('Business metrics'));
    this.dashboard.addWidgets(
      graph('New Registrations', businessMetric(METRIC_NAMESPACES.users, 'NewRegistrations')),
      graph('Order Value', businessMetric(METRIC_NAMESPACES.orders, 'OrderValue'))
    );
  }
}

function heading(text: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({ markdown: `## ${text}`, width: FULL_WIDTH, height: 1 });
}

function graph(title: string, left: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width: GRAPH_WIDTH, height: GRAPH_HEIGHT });
}
