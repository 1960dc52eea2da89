import { Validations } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { denyGrantsExceptForAwsResources } from '../constructs/key-policy';

/** What the operator hears about: a decision to make, and how each execution ended. */
export const PIPELINE_NOTIFICATION_EVENTS: readonly codepipeline.PipelineNotificationEvents[] = [
  codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
  codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
  codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
];
/** Display name of the topic (the sender name of its e-mails). */
export const PIPELINE_TOPIC_DISPLAY_NAME = 'Pipeline Notifications';

export interface PipelineNotificationsProps {
  /** The built CodePipeline (`pipelines.CodePipeline.pipeline`, available after `buildPipeline()`). */
  readonly pipeline: codepipeline.Pipeline;
  /** Subscribed to the topic (the subscription waits for the recipient's confirmation). */
  readonly email: string;
}

/**
 * Pipeline notifications: a CodeStar Notifications rule on the pipeline sends approval-needed,
 * execution-failed and execution-succeeded events to an SSL-only SNS topic encrypted with a
 * customer-managed, rotating KMS key, with an e-mail subscription.
 *
 * CodeStar Notifications publishes as the service principal `codestar-notifications.amazonaws.com`:
 * binding the topic as the rule's target grants it `sns:Publish` in the topic policy and
 * `kms:Decrypt` / `kms:GenerateDataKey*` in the key policy (the AWS managed alias/aws/sns key cannot
 * be granted, and without those grants the target shows as "unreachable").
 */
export class PipelineNotifications extends Construct {
  public readonly key: kms.Key;
  public readonly topic: sns.Topic;
  public readonly rule: notifications.INotificationRule;

  constructor(scope: Construct, id: string, props: PipelineNotificationsProps) {
    super(scope, id);

    this.key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the pipeline notifications SNS topic',
      enableKeyRotation: true,
    });
    denyGrantsExceptForAwsResources(this.key);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: PIPELINE_TOPIC_DISPLAY_NAME,
      masterKey: this.key,
      enforceSSL: true,
    });
    const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    Validations.of(subscription).acknowledge({
      id: 'Serverless-SNSRedrivePolicy',
      reason:
        'A lost e-mail loses no information: a pending approval waits in the pipeline, and every ' +
        "execution's outcome stays in the pipeline's execution history; a dead-letter queue would hold " +
        'copies nobody reads.',
    });

    this.rule = props.pipeline.notifyOn('Notifications', this.topic, {
      events: [...PIPELINE_NOTIFICATION_EVENTS],
      detailType: notifications.DetailType.FULL,
    });
    // Created after the topic policy, so the target is reachable from the start.
    this.rule.node.addDependency(this.topic);
  }
}
