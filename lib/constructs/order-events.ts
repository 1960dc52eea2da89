import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keepParentLogicalIds, nodeUniqueIdWithoutGroups } from './logical-ids';
import { controlTowerRule } from '../config/rule-packs';

/** Receives of a message before it moves to the dead-letter queue. */
export const ORDER_EVENTS_MAX_RECEIVES = 3;
export const ORDER_EVENTS_RETENTION = Duration.days(4);
export const ORDER_EVENTS_DLQ_RETENTION = Duration.days(14);
export const ORDER_EVENTS_BATCH_SIZE = 10;
/** Six times the consumer's timeout (AWS's advice), so a message in flight is not handed out twice. */
export const ORDER_EVENTS_VISIBILITY_TIMEOUT = Duration.seconds(180);

export interface OrderEventsProps {
  /** What happens to both queues when they leave the stack: undelivered events are data. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The order-events queue the orders function sends to, with its dead-letter queue (encrypted,
 * TLS only), and its one consumer ({@link addConsumer}) fed in batches that report per-message
 * failures.
 */
export class OrderEvents extends Construct {
  public readonly queue: sqs.Queue;
  /** Where a message goes after {@link ORDER_EVENTS_MAX_RECEIVES} failed receives; nothing consumes it. */
  public readonly deadLetterQueue: sqs.Queue;
  private consumer?: lambda.IFunction;

  constructor(scope: Construct, id: string, props: OrderEventsProps) {
    super(scope, id);
    // Its queues were deployed at the stack's top level: keep their logical ids.
    keepParentLogicalIds(this);
    this.deadLetterQueue = new sqs.Queue(this, 'OrderEventsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: ORDER_EVENTS_DLQ_RETENTION,
      removalPolicy: props.removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'OrderEventsQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: ORDER_EVENTS_RETENTION,
      removalPolicy: props.removalPolicy,
      visibilityTimeout: ORDER_EVENTS_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: ORDER_EVENTS_MAX_RECEIVES },
    });
    const dlqReason =
      'This is the dead-letter queue of OrderEventsQueue: nothing consumes it, its messages stay ' +
      `${ORDER_EVENTS_DLQ_RETENTION.toDays()} days for inspection and redrive, and the ` +
      'OrderEvents-DLQ-Not-Empty alarm fires on the first one.';
    Validations.of(this.deadLetterQueue).acknowledge(
      { id: 'Serverless-SQSRedrivePolicy', reason: dlqReason },
      { id: controlTowerRule('sqs_dlq_check'), reason: dlqReason }
    );
  }

  /** Feeds the queue to `consumer` (a function's alias, for safe deployments): one consumer only. */
  public addConsumer(consumer: lambda.IFunction): void {
    if (this.consumer) {
      throw new Error(
        `${this.node.path} already feeds ${this.consumer.node.path}, cannot add ${consumer.node.path}`
      );
    }
    this.consumer = consumer;
    // What SqsEventSource does, under the id it would give the mapping were the queue still at the
    // stack's top level (it embeds the queue's unique id): the mapping keeps its logical id.
    const mapping = consumer.addEventSourceMapping(
      `SqsEventSource:${nodeUniqueIdWithoutGroups(this.queue)}`,
      {
        eventSourceArn: this.queue.queueArn,
        batchSize: ORDER_EVENTS_BATCH_SIZE,
        reportBatchItemFailures: true,
      }
    );
    this.queue.grantConsumeMessages(consumer);
    Validations.of(mapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'Lambda supports no on-failure destination for SQS event sources; the source queue redrives ' +
        `messages that fail ${ORDER_EVENTS_MAX_RECEIVES} times to OrderEventsDeadLetterQueue, which is alarmed.`,
    });
  }
}
