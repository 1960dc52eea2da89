import { ArnFormat, CfnOutput, Duration, type RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SERVICE_NAMES } from '../config';
import { denyGrantsExceptForAwsResources } from './key-policy';
import { AppFunction, type FunctionConfig } from './app-function';
import { keepParentLogicalIds, nodeUniqueIdWithoutGroups } from './logical-ids';
import { controlTowerRule } from '../config/rule-packs';

/** Display name of the alarm topic (the sender name of its e-mails). */
export const ALARM_TOPIC_DISPLAY_NAME = 'System Alarms';
/** Failed alarm notifications are kept the SQS maximum, for an operator to inspect. */
export const NOTIFICATION_DLQ_RETENTION = Duration.days(14);
/** Lambda's asynchronous retries of the Slack notifier before the event goes to the dead-letter queue. */
export const SLACK_NOTIFIER_RETRY_ATTEMPTS = 2;

export interface AlarmNotificationsProps {
  /** Names the environment in the key's and the secret's descriptions. */
  readonly environmentName: string;
  /** Receives every alarm by e-mail (the subscription waits for its confirmation). */
  readonly alarmEmail: string;
  /** Of the key, the dead-letter queue and the webhook secret: they hold data and credentials. */
  readonly removalPolicy: RemovalPolicy;
  /** Log retention, removal policy and log level of the Slack notifier function. */
  readonly functionConfig: FunctionConfig;
}

/**
 * Where alarms go: the encrypted "System Alarms" SNS topic, its e-mail subscription and a Slack
 * notifier function (webhook URL in a secret an operator sets), with one dead-letter queue for the
 * notifications that reach neither.
 */
export class AlarmNotifications extends Construct {
  /** Encrypts the alarm topic; its key policy lets CloudWatch alarms publish. */
  public readonly topicKey: kms.Key;
  public readonly topic: sns.Topic;
  /** Notifies the topic: for `alarm.addAlarmAction` and `addOkAction`. */
  public readonly alarmAction: cloudwatchActions.SnsAction;
  /** Alarm notifications that could not reach Slack or the e-mail address. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Holds the Slack incoming-webhook URL, set by an operator after the first deploy. */
  public readonly slackWebhookSecret: secretsmanager.Secret;
  public readonly slackNotifier: AppFunction;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    keepParentLogicalIds(this);
    if (!Token.isUnresolved(props.alarmEmail) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
      throw new Error(`alarmEmail must be an e-mail address, got '${props.alarmEmail}'`);
    }

    this.topicKey = this.createTopicKey(props);
    this.topic = this.createTopic();
    this.alarmAction = new cloudwatchActions.SnsAction(this.topic);

    this.deadLetterQueue = new sqs.Queue(this, 'AlarmNotificationDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: NOTIFICATION_DLQ_RETENTION,
      // Undelivered events are data: kept when the stack goes in prod.
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge(
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
      },
      {
        id: controlTowerRule('sqs_dlq_check'),
        reason:
          'This queue is itself the dead-letter queue of the alarm notifications; a dead-letter queue of ' +
          'its own would only move undelivered notifications one queue further.',
      }
    );
    // Deliveries SNS gives up on are kept in the dead-letter queue, not dropped.
    this.topic.addSubscription(
      new subscriptions.EmailSubscription(props.alarmEmail, { deadLetterQueue: this.deadLetterQueue })
    );

    this.slackWebhookSecret = this.createSlackWebhookSecret(props);
    this.slackNotifier = this.createSlackNotifier(props);
    // Operators set the webhook URL into this secret after the first deploy (docs/operations.md).
    new CfnOutput(this, 'SlackWebhookSecretArn', {
      value: this.slackWebhookSecret.secretArn,
      description: 'Secret to put the Slack incoming-webhook URL into (aws secretsmanager put-secret-value)',
    });
  }

  /** A customer-managed key: the AWS managed alias/aws/sns does not let CloudWatch alarms publish. */
  private createTopicKey(props: AlarmNotificationsProps): kms.Key {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the ${props.environmentName} system-alarms SNS topic`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
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
    denyGrantsExceptForAwsResources(key);
    return key;
  }

  private createTopic(): sns.Topic {
    const stack = Stack.of(this);
    // Generated physical name: the same stack in several accounts or environments never collides.
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: ALARM_TOPIC_DISPLAY_NAME,
      masterKey: this.topicKey,
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
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      })
    );
    return topic;
  }

  private createSlackWebhookSecret(props: AlarmNotificationsProps): secretsmanager.Secret {
    // A random placeholder: the notifier refuses it until an operator stores the real webhook URL
    // (CloudFormation generates the value only on creation, so a deploy never overwrites it).
    const secret = new secretsmanager.Secret(this, 'SlackWebhookSecret', {
      description: `Slack incoming-webhook URL for the ${props.environmentName} alarm notifications (set by an operator)`,
      generateSecretString: { excludePunctuation: true, passwordLength: 32 },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An external credential issued by Slack: it is replaced by the operator when Slack rotates or ' +
        'revokes the webhook; Secrets Manager has no way to rotate it.',
    });
    return secret;
  }

  private createSlackNotifier(props: AlarmNotificationsProps): AppFunction {
    const notifier = new AppFunction(this, 'SlackNotifier', {
      entry: 'slack-notifier',
      description: 'Forward alarm notifications to Slack',
      config: props.functionConfig,
      serviceName: SERVICE_NAMES.slackNotifier,
      environment: { SLACK_WEBHOOK_SECRET_ARN: this.slackWebhookSecret.secretArn },
    });
    this.slackWebhookSecret.grantRead(notifier.function);

    // SNS invokes asynchronously: failed deliveries (SNS side) and failed invocations after Lambda's
    // retries (Slack down, secret not set) both end in the dead-letter queue.
    this.topic.addSubscription(lambdaSubscription(notifier.function, this.deadLetterQueue));
    notifier.function.configureAsyncInvoke({
      retryAttempts: SLACK_NOTIFIER_RETRY_ATTEMPTS,
      onFailure: new lambdaDestinations.SqsDestination(this.deadLetterQueue),
    });
    Validations.of(notifier.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to AlarmNotificationDeadLetterQueue through an on-failure ' +
        'destination, the successor of DeadLetterConfig that also records the error; the rule checks only the latter.',
    });
    return notifier;
  }
}

/**
 * subscriptions.LambdaSubscription, except for the invoke permission's construct id: it names the
 * permission after the topic's unique id, which now includes AlarmNotifications; this keeps the id
 * (and so the logical id) the permission had when the topic sat at the stack's top level.
 */
function lambdaSubscription(fn: lambda.Function, deadLetterQueue: sqs.IQueue): sns.ITopicSubscription {
  return {
    bind(topic: sns.ITopic): sns.TopicSubscriptionConfig {
      fn.addPermission(`AllowInvoke:${nodeUniqueIdWithoutGroups(topic)}`, {
        sourceArn: topic.topicArn,
        principal: new iam.ServicePrincipal('sns.amazonaws.com'),
      });
      return {
        subscriberScope: fn,
        subscriberId: topic.node.id,
        endpoint: fn.functionArn,
        protocol: sns.SubscriptionProtocol.LAMBDA,
        deadLetterQueue,
      };
    },
  };
}
