import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type Log } from '../logger';
import { type Order } from './model';

export type OrderEventType = 'OrderPlaced' | 'OrderCancelled';

/** The JSON body of every message on the order events queue. */
export interface OrderEvent {
  readonly type: OrderEventType;
  /** Unique per event, so consumers can drop SQS's occasional duplicate deliveries. */
  readonly eventId: string;
  readonly occurredAt: string;
  readonly order: Order;
}

/** Port through which the order service announces committed changes. */
export interface OrderEventsPublisher {
  publish(event: OrderEvent): Promise<void>;
}

export class SqsOrderEventsPublisher implements OrderEventsPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string
  ) {}

  async publish(event: OrderEvent): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(event),
        // Lets subscribers filter or route on the type without parsing the body.
        MessageAttributes: { eventType: { DataType: 'String', StringValue: event.type } },
      })
    );
  }
}

/** Local development has no queue: the event is logged instead, so the flow stays visible. */
export class LoggingOrderEventsPublisher implements OrderEventsPublisher {
  constructor(private readonly log: Log) {}

  publish(event: OrderEvent): Promise<void> {
    this.log.info('No order events queue configured; event not sent', {
      eventType: event.type,
      orderId: event.order.orderId,
    });
    return Promise.resolve();
  }
}
