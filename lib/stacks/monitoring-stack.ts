import { ArnFormat, CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { type Construct } from 'constructs';
import { REDIS_NODE_COUNT } from '../config';
import { AppFunction } from '../constructs/app-function';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';
import { SERVICE_NAME as API_SERVICE_NAME } from './serverless-api-stack';

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

/** Display name of the alarm topic (the sender name of its e-mails). */
export const ALARM_TOPIC_DISPLAY_NAME = 'System Alarms';
/** Powertools service name of the metrics publisher: the `service` dimension of what it publishes. */
export const BUSINESS_METRICS_SERVICE_NAME = 'business-metrics';
export const SLACK_NOTIFIER_SERVICE_NAME = 'slack-notifier';
export const USERS_NAMESPACE = 'MyApp/Users';
export const ORDERS_NAMESPACE = 'MyApp/Orders';

/** Every alarm and graph works on 5-minute periods. */
export const MONITORING_PERIOD = Duration.minutes(5);
/** Alarms fire on 2 breaching periods out of 2 (10 minutes), so one spike does not page anybody. */
export const ALARM_EVALUATION_PERIODS = 2;
export const API_LATENCY_THRESHOLD_MS = 5_000;
export const API_5XX_THRESHOLD = 5;
export const FUNCTION_ERRORS_THRESHOLD = 5;
/** What the bake step may do with the alarms of this account: read them, nothing else. */
export const BAKE_ROLE_ACTIONS = ['cloudwatch:DescribeAlarms'] as const;
/** The bake step's one role session covers the bake time plus this margin (install, polls). */
export const BAKE_ROLE_SESSION_MARGIN = Duration.minutes(15);
export const BAKE_ROLE_MAX_SESSION = Duration.hours(1);
/**
 * The bake role's name: fixed, because the pipeline account's step must be allowed to assume it by
 * ARN before the role exists (a pipeline cannot reference a stage's resources).
 */
export function bakeRoleName(environment: string): string {
  return `${environment}-pipeline-bake`;
}
export const DATABASE_CPU_THRESHOLD_PERCENT = 80;
/**
 * Requests the API's web ACL blocks per 5 minutes (all rules) in each of two periods: scanners are
 * blocked all the time; sustained blocking at this rate is an attack or rules blocking real clients.
 */
export const WAF_BLOCKED_REQUESTS_THRESHOLD = 100;
/** Failed alarm notifications are kept the SQS maximum, for an operator to inspect. */
export const NOTIFICATION_DLQ_RETENTION = Duration.days(14);
/** Lambda's asynchronous retries of the Slack notifier before the event goes to the dead-letter queue. */
export const SLACK_NOTIFIER_RETRY_ATTEMPTS = 2;

const GRAPH_WIDTH = 8;
const GRAPH_HEIGHT = 6;
const FULL_WIDTH = 24;

/**
 * Observability for one environment: the encrypted "system-alarms" SNS topic (e-mail and a Slack
 * notifier), the alarms on the API, its functions, the database and the order-events DLQ, the
 * "system-overview" dashboard, and the business-metrics publisher.
 */
export class MonitoringStack extends EnvironmentStack {
  /** Encrypts the alarm topic; its key policy lets CloudWatch alarms publish. */
  public readonly alarmTopicKey: kms.Key;
  public readonly alarmTopic: sns.Topic;
  /** Holds the Slack incoming-webhook URL, set by an operator after the first deploy. */
  public readonly slackWebhookSecret: secretsmanager.Secret;
  public readonly slackNotifier: AppFunction;
  /** Alarm notifications that could not reach Slack (SNS delivery or the notifier's retries failed). */
  public readonly notificationDeadLetterQueue: sqs.Queue;
  public readonly metricsPublisher: AppFunction;
  public readonly dashboard: cloudwatch.Dashboard;

  public readonly apiHighLatencyAlarm: cloudwatch.Alarm;
  public readonly api5xxErrorsAlarm: cloudwatch.Alarm;
  /** One errors alarm per function, keyed like `props.functions`. */
  public readonly functionErrorsAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  public readonly databaseHighCpuAlarm: cloudwatch.Alarm;
  public readonly orderEventsDlqAlarm: cloudwatch.Alarm;
  public readonly notificationDlqAlarm: cloudwatch.Alarm;
  /** Only where the API has a web ACL (`wafWebAclName`). */
  public readonly apiWafBlockedRequestsAlarm?: cloudwatch.Alarm;
  /** Runs of the API canary failed (it calls /health and an authenticated read). */
  public readonly apiCanaryAlarm: cloudwatch.Alarm;
  /** Read-only access to this account's alarms for the pipeline's bake step; where the config bakes. */
  public readonly bakeRole?: iam.Role;
  /** The bake role's ARN, for the pipeline step (`envFromCfnOutputs`). */
  public readonly bakeRoleArnOutput?: CfnOutput;

  private readonly alarmAction: cloudwatchActions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;

    const redisNodeCount = props.redisNodeCount ?? REDIS_NODE_COUNT;
    if (!Number.isInteger(redisNodeCount) || redisNodeCount < 1) {
      throw new Error(`redisNodeCount must be a positive integer, got ${redisNodeCount}`);
    }
    if (Object.keys(props.functions).length === 0) {
      throw new Error('functions must name at least one function to monitor, got none');
    }

    this.alarmTopicKey = this.createAlarmTopicKey();
    this.alarmTopic = this.createAlarmTopic();
    this.alarmAction = new cloudwatchActions.SnsAction(this.alarmTopic);

    this.notificationDeadLetterQueue = new sqs.Queue(this, 'AlarmNotificationDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: NOTIFICATION_DLQ_RETENTION,
      // Undelivered events are data: kept when the stack goes in prod.
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.notificationDeadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue: of the e-mail and Slack subscriptions (SNS redrive ' +
          "policies) and of the notifier's asynchronous invocations (on-failure destination), which the " +
          'rule does not recognise.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'This queue is itself the last stop of failed alarm notifications: nothing consumes it, messages ' +
          `stay ${NOTIFICATION_DLQ_RETENTION.toDays()} days for an operator, and the ` +
          'AlarmNotifications-DLQ-Not-Empty alarm fires on the first.',
      }
    );
    // Deliveries SNS gives up on are kept in the dead-letter queue, not dropped.
    this.alarmTopic.addSubscription(
      new subscriptions.EmailSubscription(config.alarmEmail, {
        deadLetterQueue: this.notificationDeadLetterQueue,
      })
    );

    const slack = this.createSlackNotifier();
    this.slackWebhookSecret = slack.secret;
    this.slackNotifier = slack.notifier;
    // Operators set the webhook URL into this secret after the first deploy (README, day-2).
    new CfnOutput(this, 'SlackWebhookSecretArn', {
      value: this.slackWebhookSecret.secretArn,
      description: 'Secret to put the Slack incoming-webhook URL into (aws secretsmanager put-secret-value)',
    });

    // Publishes through CloudWatch embedded metric format on stdout: no cloudwatch:PutMetricData at all.
    this.metricsPublisher = new AppFunction(this, 'MetricsPublisher', {
      entry: 'metrics-publisher',
      description: 'Publish business metrics (embedded metric format)',
      config,
      serviceName: BUSINESS_METRICS_SERVICE_NAME,
    });
    this.metricsPublisher.acknowledgeNoAsyncInvocation(
      'it has no trigger; callers invoke it synchronously and get the published metrics or the ' +
        'payload validation error back'
    );

    // Alarms
    this.apiHighLatencyAlarm = this.alarm('ApiHighLatencyAlarm', {
      name: 'API-High-Latency',
      description: `Average API Gateway latency above ${API_LATENCY_THRESHOLD_MS} ms for 10 minutes`,
      metric: props.api.metricLatency({ statistic: cloudwatch.Stats.AVERAGE, period: MONITORING_PERIOD }),
      threshold: API_LATENCY_THRESHOLD_MS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No requests, no latency: silence is not slowness.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.api5xxErrorsAlarm = this.alarm('Api5xxErrorsAlarm', {
      name: 'API-5XX-Errors',
      description: `At least ${API_5XX_THRESHOLD} API Gateway 5XX responses in each of two 5-minute periods`,
      metric: props.api.metricServerError({ statistic: cloudwatch.Stats.SUM, period: MONITORING_PERIOD }),
      threshold: API_5XX_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.functionErrorsAlarms = Object.fromEntries(
      Object.entries(props.functions).map(([name, fn]) => [
        name,
        this.alarm(`Lambda${pascalCase(name)}ErrorsAlarm`, {
          name: `Lambda-${name}-Errors`,
          description: `High error rate for the ${name} function`,
          metric: fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: MONITORING_PERIOD }),
          threshold: FUNCTION_ERRORS_THRESHOLD,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Lambda publishes Errors only while the function is invoked.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ])
    );
    this.databaseHighCpuAlarm = this.alarm('DatabaseHighCpuAlarm', {
      name: 'RDS-High-CPU',
      description: `Database CPU utilization above ${DATABASE_CPU_THRESHOLD_PERCENT} % for 10 minutes`,
      metric: props.database.metricCPUUtilization({
        statistic: cloudwatch.Stats.AVERAGE,
        period: MONITORING_PERIOD,
      }),
      threshold: DATABASE_CPU_THRESHOLD_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // A running instance always reports CPU: no data means "unknown", not "busy" nor "fine".
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.orderEventsDlqAlarm = this.dlqNotEmptyAlarm(
      'OrderEventsDlqNotEmptyAlarm',
      'OrderEvents-DLQ-Not-Empty',
      'Order events failed processing and were moved to the dead-letter queue',
      props.orderEventsDeadLetterQueue
    );
    this.notificationDlqAlarm = this.dlqNotEmptyAlarm(
      'AlarmNotificationsDlqNotEmptyAlarm',
      'AlarmNotifications-DLQ-Not-Empty',
      'Alarm notifications did not reach Slack or the alarm e-mail address (see the queued messages)',
      this.notificationDeadLetterQueue
    );
    if (props.wafWebAclName !== undefined) {
      this.apiWafBlockedRequestsAlarm = this.alarm('ApiWafBlockedRequestsAlarm', {
        name: 'API-WAF-Blocked-Requests',
        description:
          `The API's web ACL blocked at least ${WAF_BLOCKED_REQUESTS_THRESHOLD} requests in each of two ` +
          '5-minute periods: an attack, or rules blocking real clients (check the aws-waf-logs- log group)',
        metric: wafBlockedRequests(props.wafWebAclName, this.region),
        threshold: WAF_BLOCKED_REQUESTS_THRESHOLD,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // WAF publishes BlockedRequests only while it blocks something.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    this.apiCanaryAlarm = this.alarm('ApiCanaryAlarm', {
      name: 'API-Canary',
      description:
        `Fewer than ${config.synthetics.successPercentThreshold} % of the API canary's runs passed ` +
        '(GET /health, sign-in, GET /v1/products) in each of two periods: clients cannot use the API ' +
        '(the run logs and artifacts are in the CloudWatch Synthetics console)',
      metric: props.canarySuccessPercent,
      threshold: config.synthetics.successPercentThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // The canary runs on a schedule: no runs means nothing watches the API.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    if (props.pipelineAccount !== undefined && config.bakeTime.toSeconds() > 0) {
      const session = config.bakeTime.plus(BAKE_ROLE_SESSION_MARGIN);
      if (session.toSeconds() > BAKE_ROLE_MAX_SESSION.toSeconds()) {
        throw new Error(
          `bakeTime must be at most ${BAKE_ROLE_MAX_SESSION.minus(BAKE_ROLE_SESSION_MARGIN).toMinutes()} ` +
            `minutes (one role session), got ${config.bakeTime.toMinutes()} minutes for ${config.name}`
        );
      }
      this.bakeRole = new iam.Role(this, 'BakeRole', {
        roleName: bakeRoleName(config.name),
        assumedBy: new iam.AccountPrincipal(props.pipelineAccount),
        description: `The pipeline's bake step: reads the ${config.name} alarms, nothing else`,
        maxSessionDuration: BAKE_ROLE_MAX_SESSION,
      });
      this.bakeRole.addToPolicy(
        new iam.PolicyStatement({ actions: [...BAKE_ROLE_ACTIONS], resources: ['*'] })
      );
      Validations.of(this.bakeRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:DescribeAlarms lists alarms by name prefix and supports no resource-level scoping; ' +
          'the role can read alarm states and nothing else.',
      });
      this.bakeRoleArnOutput = new CfnOutput(this, 'BakeRoleArn', {
        value: this.bakeRole.roleArn,
        description: "Role the pipeline's bake step assumes to watch this environment's alarms",
      });
    }

    this.dashboard = this.createDashboard(props, redisNodeCount);
  }

  /** A customer-managed key: the AWS managed alias/aws/sns does not let CloudWatch alarms publish. */
  private createAlarmTopicKey(): kms.Key {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the ${this.config.name} system-alarms SNS topic`,
      enableKeyRotation: true,
      removalPolicy: this.config.removalPolicy,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy, "*" is this key.
        resources: ['*'],
      })
    );
    return key;
  }

  private createAlarmTopic(): sns.Topic {
    // Generated physical name: the same stack in several accounts or environments never collides.
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: ALARM_TOPIC_DISPLAY_NAME,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: allow this account's alarms, and only them.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisAccountsCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      })
    );
    return topic;
  }

  private createSlackNotifier(): { secret: secretsmanager.Secret; notifier: AppFunction } {
    const { config } = this;
    // A random placeholder: the notifier refuses it until an operator stores the real webhook URL
    // (CloudFormation generates the value only on creation, so a deploy never overwrites it).
    const secret = new secretsmanager.Secret(this, 'SlackWebhookSecret', {
      description: `Slack incoming-webhook URL for the ${config.name} alarm notifications (set by an operator)`,
      generateSecretString: { excludePunctuation: true, passwordLength: 32 },
      removalPolicy: config.removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An external credential issued by Slack: it is replaced by the operator when Slack rotates or ' +
        'revokes the webhook; Secrets Manager has no way to rotate it.',
    });

    const notifier = new AppFunction(this, 'SlackNotifier', {
      entry: 'slack-notifier',
      description: 'Forward alarm notifications to Slack',
      config,
      serviceName: SLACK_NOTIFIER_SERVICE_NAME,
      environment: { SLACK_WEBHOOK_SECRET_ARN: secret.secretArn },
    });
    secret.grantRead(notifier.function);

    // SNS invokes asynchronously: failed deliveries (SNS side) and failed invocations after Lambda's
    // retries (Slack down, secret not set) both end in the dead-letter queue.
    this.alarmTopic.addSubscription(
      new subscriptions.LambdaSubscription(notifier.function, {
        deadLetterQueue: this.notificationDeadLetterQueue,
      })
    );
    notifier.function.configureAsyncInvoke({
      retryAttempts: SLACK_NOTIFIER_RETRY_ATTEMPTS,
      onFailure: new lambdaDestinations.SqsDestination(this.notificationDeadLetterQueue),
    });
    Validations.of(notifier.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to AlarmNotificationDeadLetterQueue through an on-failure ' +
        'destination, the successor of DeadLetterConfig that also records the error; the rule checks only the latter.',
    });
    return { secret, notifier };
  }

  /** Every alarm notifies the topic on ALARM and on the way back to OK. */
  private alarm(id: string, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.config.name}-${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods ?? ALARM_EVALUATION_PERIODS,
      datapointsToAlarm: spec.evaluationPeriods ?? ALARM_EVALUATION_PERIODS,
      treatMissingData: spec.treatMissingData,
    });
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
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

  private createDashboard(props: MonitoringStackProps, redisNodeCount: number): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'SystemDashboard', {
      dashboardName: `${this.config.name}-system-overview`,
    });
    const period = MONITORING_PERIOD;
    const { api, database, table } = props;

    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [
          this.apiHighLatencyAlarm,
          this.api5xxErrorsAlarm,
          ...Object.values(this.functionErrorsAlarms),
          this.databaseHighCpuAlarm,
          this.orderEventsDlqAlarm,
          this.notificationDlqAlarm,
          ...(this.apiWafBlockedRequestsAlarm ? [this.apiWafBlockedRequestsAlarm] : []),
          this.apiCanaryAlarm,
        ],
        width: FULL_WIDTH,
        height: 3,
      })
    );

    dashboard.addWidgets(heading('API Gateway'));
    dashboard.addWidgets(
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
    dashboard.addWidgets(graph('API Canary - Successful Runs (%)', [props.canarySuccessPercent]));
    if (props.wafWebAclName !== undefined) {
      dashboard.addWidgets(
        graph('API WAF - Allowed and Blocked Requests', [
          wafMetric(props.wafWebAclName, this.region, 'AllowedRequests'),
          wafBlockedRequests(props.wafWebAclName, this.region),
        ])
      );
    }

    dashboard.addWidgets(heading('Lambda functions'));
    for (const [name, fn] of Object.entries(props.functions)) {
      dashboard.addWidgets(
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

    dashboard.addWidgets(heading('Data stores'));
    const redisNodes = Array.from(
      { length: redisNodeCount },
      (_, i) => `${props.redisReplicationGroupId}-${String(i + 1).padStart(3, '0')}`
    );
    const redisMetric = (metricName: string) =>
      redisNodes.map(
        (nodeId, i) =>
          new cloudwatch.Metric({
            namespace: 'AWS/ElastiCache',
            metricName,
            dimensionsMap: { CacheClusterId: nodeId },
            statistic: cloudwatch.Stats.AVERAGE,
            period,
            label: `node ${String(i + 1).padStart(3, '0')}`,
          })
      );
    dashboard.addWidgets(
      graph('RDS CPU Utilization', [
        database.metricCPUUtilization({ statistic: cloudwatch.Stats.AVERAGE, period }),
      ]),
      graph('RDS Connections', [
        database.metricDatabaseConnections({ statistic: cloudwatch.Stats.AVERAGE, period }),
      ]),
      graph('DynamoDB Throttled Requests', [table.metricThrottledRequestsForOperations({ period })])
    );
    dashboard.addWidgets(
      graph('Redis Engine CPU Utilization', redisMetric('EngineCPUUtilization')),
      graph('Redis Memory Usage', redisMetric('DatabaseMemoryUsagePercentage'))
    );

    dashboard.addWidgets(heading('Order events queue'));
    dashboard.addWidgets(
      graph('Order Events - Age of Oldest Message', [
        props.orderEventsQueue.metricApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period,
        }),
      ]),
      graph('Order Events - Visible Messages', [
        props.orderEventsQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period,
          label: 'Queue',
        }),
        props.orderEventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period,
          label: 'Dead-letter queue',
        }),
      ])
    );

    // The API functions and the metrics publisher publish the same metrics under their own service name.
    const businessMetric = (namespace: string, metricName: string) =>
      [API_SERVICE_NAME, BUSINESS_METRICS_SERVICE_NAME].map(
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
    dashboard.addWidgets(heading('Business metrics'));
    dashboard.addWidgets(
      graph('New Registrations', businessMetric(USERS_NAMESPACE, 'NewRegistrations')),
      graph('Order Value', businessMetric(ORDERS_NAMESPACE, 'OrderValue'))
    );
    return dashboard;
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

function heading(text: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({ markdown: `## ${text}`, width: FULL_WIDTH, height: 1 });
}

function graph(title: string, left: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width: GRAPH_WIDTH, height: GRAPH_HEIGHT });
}

/** A web ACL's metric over all its rules (`Rule=ALL`), summed per monitoring period. */
function wafMetric(webAclName: string, region: string, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/WAFV2',
    metricName,
    dimensionsMap: { WebACL: webAclName, Region: region, Rule: 'ALL' },
    statistic: cloudwatch.Stats.SUM,
    period: MONITORING_PERIOD,
  });
}

function wafBlockedRequests(webAclName: string, region: string): cloudwatch.Metric {
  return wafMetric(webAclName, region, 'BlockedRequests');
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
