import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUTHORIZER_METRICS, METRIC_NAMESPACES, SERVICE_NAMES } from '../config';
import { keepParentLogicalIds } from './logical-ids';

/** Every alarm and graph works on 5-minute periods. */
export const MONITORING_PERIOD = Duration.minutes(5);
/** Alarms fire on 2 breaching periods out of 2 (10 minutes), so one spike does not page anybody. */
export const ALARM_EVALUATION_PERIODS = 2;
export const API_LATENCY_THRESHOLD_MS = 5_000;
export const API_5XX_THRESHOLD = 5;
export const FUNCTION_ERRORS_THRESHOLD = 5;
export const DATABASE_CPU_THRESHOLD_PERCENT = 80;
/**
 * Requests the API's web ACL blocks per 5 minutes (all rules) in each of two periods: scanners are
 * blocked all the time; sustained blocking at this rate is an attack or rules blocking real clients.
 */
export const WAF_BLOCKED_REQUESTS_THRESHOLD = 100;

export interface ServiceAlarmsProps {
  /** Prefixes every alarm name: `<environmentName>-<alarm>`. */
  readonly environmentName: string;
  /** Notified on ALARM and on the way back to OK (AlarmNotifications' topic). */
  readonly alarmAction: cloudwatch.IAlarmAction;
  /** The REST API: latency and 5XX alarms. */
  readonly api: apigw.RestApiBase;
  /** Functions by name; each gets an `Lambda-<name>-Errors` alarm. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /**
   * What a function's `Lambda-<name>-Errors` alarm sums instead of its Lambda Errors, by the names of
   * `functions`: for functions whose own metric counts their failures (the authorizer's
   * {@link authorizerUnexpectedFailures}). Each metric's statistic and period are replaced by Sum
   * over MONITORING_PERIOD.
   * @default Lambda Errors for every function
   */
  readonly errorsMetrics?: Readonly<Record<string, cloudwatch.Metric>>;
  /** The primary PostgreSQL instance: CPU alarm. */
  readonly database: rds.IDatabaseInstance;
  readonly orderEventsDeadLetterQueue: sqs.IQueue;
  /** Where alarm notifications that reached nobody end up. */
  readonly notificationDeadLetterQueue: sqs.IQueue;
  /**
   * Name of the API's WAFv2 web ACL (REGIONAL, this stack's region).
   * @default - no web ACL, no blocked-requests alarm
   */
  readonly wafWebAclName?: string;
  /** SuccessPercent of the API canary's runs. */
  readonly canarySuccessPercent: cloudwatch.IMetric;
  /** The canary alarm fires below this percentage of passed runs (0..100). */
  readonly canarySuccessPercentThreshold: number;
}

/**
 * The alarms on the API, its functions, the database, the dead-letter queues, the web ACL and the
 * API canary: each named after its environment and notifying one action on ALARM and OK.
 */
export class ServiceAlarms extends Construct {
  public readonly apiHighLatency: cloudwatch.Alarm;
  public readonly api5xxErrors: cloudwatch.Alarm;
  /** One errors alarm per function, keyed like `props.functions`. */
  public readonly functionErrors: Readonly<Record<string, cloudwatch.Alarm>>;
  public readonly databaseHighCpu: cloudwatch.Alarm;
  public readonly orderEventsDlq: cloudwatch.Alarm;
  public readonly notificationDlq: cloudwatch.Alarm;
  /** Only where the API has a web ACL (`wafWebAclName`). */
  public readonly apiWafBlockedRequests?: cloudwatch.Alarm;
  /** Runs of the API canary failed (it calls /health and an authenticated read). */
  public readonly apiCanary: cloudwatch.Alarm;
  /** Every alarm above, in the order the dashboard shows them. */
  public readonly all: readonly cloudwatch.Alarm[];

  private readonly props: ServiceAlarmsProps;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    keepParentLogicalIds(this);
    if (Object.keys(props.functions).length === 0) {
      throw new Error('functions must name at least one function to monitor, got none');
    }
    const canaryThreshold = props.canarySuccessPercentThreshold;
    if (!(canaryThreshold > 0 && canaryThreshold <= 100)) {
      throw new Error(`canarySuccessPercentThreshold must be in (0, 100], got ${canaryThreshold}`);
    }
    for (const name of Object.keys(props.errorsMetrics ?? {})) {
      if (!(name in props.functions)) {
        throw new Error(`errorsMetrics names ${name}, which is not one of functions`);
      }
    }
    this.props = props;
    const period = MONITORING_PERIOD;

    this.apiHighLatency = this.alarm('ApiHighLatencyAlarm', {
      name: 'API-High-Latency',
      description: `Average API Gateway latency above ${API_LATENCY_THRESHOLD_MS} ms for 10 minutes`,
      metric: props.api.metricLatency({ statistic: cloudwatch.Stats.AVERAGE, period }),
      threshold: API_LATENCY_THRESHOLD_MS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No requests, no latency: silence is not slowness.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.api5xxErrors = this.alarm('Api5xxErrorsAlarm', {
      name: 'API-5XX-Errors',
      description: `At least ${API_5XX_THRESHOLD} API Gateway 5XX responses in each of two 5-minute periods`,
      metric: props.api.metricServerError({ statistic: cloudwatch.Stats.SUM, period }),
      threshold: API_5XX_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.functionErrors = Object.fromEntries(
      Object.entries(props.functions).map(([name, fn]) => [
        name,
        this.alarm(`Lambda${pascalCase(name)}ErrorsAlarm`, {
          name: `Lambda-${name}-Errors`,
          description: `High error rate for the ${name} function`,
          metric:
            props.errorsMetrics?.[name]?.with({ statistic: cloudwatch.Stats.SUM, period }) ??
            fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period }),
          threshold: FUNCTION_ERRORS_THRESHOLD,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Lambda publishes Errors only while the function is invoked (and a function its own
          // failure metric only when it fails).
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ])
    );
    this.databaseHighCpu = this.alarm('DatabaseHighCpuAlarm', {
      name: 'RDS-High-CPU',
      description: `Database CPU utilization above ${DATABASE_CPU_THRESHOLD_PERCENT} % for 10 minutes`,
      metric: props.database.metricCPUUtilization({ statistic: cloudwatch.Stats.AVERAGE, period }),
      threshold: DATABASE_CPU_THRESHOLD_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // A running instance always reports CPU: no data means "unknown", not "busy" nor "fine".
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.orderEventsDlq = this.dlqNotEmptyAlarm(
      'OrderEventsDlqNotEmptyAlarm',
      'OrderEvents-DLQ-Not-Empty',
      'Order events failed processing and were moved to the dead-letter queue',
      props.orderEventsDeadLetterQueue
    );
    this.notificationDlq = this.dlqNotEmptyAlarm(
      'AlarmNotificationsDlqNotEmptyAlarm',
      'AlarmNotifications-DLQ-Not-Empty',
      'Alarm notifications did not reach Slack or the alarm e-mail address (see the queued messages)',
      props.notificationDeadLetterQueue
    );
    if (props.wafWebAclName !== undefined) {
      this.apiWafBlockedRequests = this.alarm('ApiWafBlockedRequestsAlarm', {
        name: 'API-WAF-Blocked-Requests',
        description:
          `The API's web ACL blocked at least ${WAF_BLOCKED_REQUESTS_THRESHOLD} requests in each of two ` +
          '5-minute periods: an attack, or rules blocking real clients (check the aws-waf-logs- log group)',
        metric: wafRequests(props.wafWebAclName, Stack.of(this).region, 'BlockedRequests'),
        threshold: WAF_BLOCKED_REQUESTS_THRESHOLD,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // WAF publishes BlockedRequests only while it blocks something.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.apiCanary = this.alarm('ApiCanaryAlarm', {
      name: 'API-Canary',
      description:
        `Fewer than ${canaryThreshold} % of the API canary's runs passed ` +
        '(GET /health, sign-in, GET /v1/products) in each of two periods: clients cannot use the API ' +
        '(the run logs and artifacts are in the CloudWatch Synthetics console)',
      metric: props.canarySuccessPercent,
      threshold: canaryThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // The canary runs on a schedule: no runs means nothing watches the API.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.all = [
      this.apiHighLatency,
      this.api5xxErrors,
      ...Object.values(this.functionErrors),
      this.databaseHighCpu,
      this.orderEventsDlq,
      this.notificationDlq,
      ...(this.apiWafBlockedRequests ? [this.apiWafBlockedRequests] : []),
      this.apiCanary,
    ];
  }

  /** Every alarm notifies on ALARM and on the way back to OK. */
  private alarm(id: string, spec: AlarmSpec): cloudwatch.Alarm {
    const evaluationPeriods = spec.evaluationPeriods ?? ALARM_EVALUATION_PERIODS;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.props.environmentName}-${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: spec.treatMissingData,
    });
    alarm.addAlarmAction(this.props.alarmAction);
    alarm.addOkAction(this.props.alarmAction);
    return alarm;
  }

  private dlqNotEmptyAlarm(
    id: string,
    name: string,
    description: string,
    queue: sqs.IQueue
  ): cloudwatch.Alarm {
    return this.alarm(id, {
      name,
      description,
      metric: queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: MONITORING_PERIOD,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // SQS stops reporting an idle queue after some hours while its messages stay: keep the last state.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
  }
}

interface AlarmSpec {
  /** Prefixed with the environment name: `<env>-<name>`. */
  readonly name: string;
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** Out of as many periods. @default ALARM_EVALUATION_PERIODS */
  readonly evaluationPeriods?: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
}

/**
 * The authorizer's failures that are not the caller's doing (JWKS unavailable or invalid, a crash:
 * API Gateway answers 500), as its Powertools Metrics publish them (namespace and `service`
 * dimension of functions/authorizer). Refused tokens are Deny policies and are not counted.
 */
export function authorizerUnexpectedFailures(period: Duration = MONITORING_PERIOD): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACES.authorizer,
    metricName: AUTHORIZER_METRICS.unexpectedFailures,
    dimensionsMap: { service: SERVICE_NAMES.api },
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

/** A web ACL's requests over all its rules (`Rule=ALL`), summed per monitoring period. */
export function wafRequests(
  webAclName: string,
  region: string,
  metricName: 'AllowedRequests' | 'BlockedRequests'
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/WAFV2',
    metricName,
    dimensionsMap: { WebACL: webAclName, Region: region, Rule: 'ALL' },
    statistic: cloudwatch.Stats.SUM,
    period: MONITORING_PERIOD,
  });
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
