import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as OrderEvents from '../../functions/order-events/index';
import type { OrderEvent as ProducedOrderEvent, OrderEventType } from '../../functions/shared/orders/events';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:order-events';

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'order-events',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:order-events',
  memoryLimitInMB: '256',
  awsRequestId: '3c1d9e0a-2f4b-4c8e-8d7a-6b5e4f3a2c1d',
  logGroupName: '/aws/lambda/order-events',
  logStreamName: '2024/05/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const LINES = [
  {
    productId: 'prod-1',
    name: 'Espresso beans 1 kg',
    quantity: 2,
    unitPriceCents: 1_999,
    lineTotalCents: 3_998,
  },
  { productId: 'prod-2', name: 'Milk jug', quantity: 1, unitPriceCents: 999, lineTotalCents: 999 },
];

/**
 * A message body exactly as the orders service produces it. Typed with the producer's own interface, so a
 * change to that contract fails type-checking here instead of dead-lettering every message in production.
 */
function orderEvent(
  type: OrderEventType = 'OrderPlaced',
  orderId = 'ord-01',
  totalCents = 4_997
): ProducedOrderEvent {
  const cancelled = type === 'OrderCancelled';
  return {
    type,
    eventId: randomUUID(),
    occurredAt: '2024-05-01T12:34:56.789Z',
    order: {
      orderId,
      userId: 'user-42',
      status: cancelled ? 'CANCELLED' : 'PLACED',
      items: LINES,
      totalCents,
      createdAt: '2024-05-01T12:30:00.000Z',
      updatedAt: '2024-05-01T12:34:56.789Z',
      ...(cancelled ? { cancelledAt: '2024-05-01T12:34:56.789Z' } : {}),
    },
  };
}

/** A valid body with the field at the dotted `path` replaced (`undefined` removes it). */
function bodyWith(path: string, value: unknown): string {
  const event = JSON.parse(JSON.stringify(orderEvent())) as Record<string, unknown>;
  const keys = path.split('.');
  const last = keys.pop()!;
  let target = event;
  for (const key of keys) {
    target = target[key] as Record<string, unknown>;
  }
  if (value === undefined) {
    delete target[last];
  } else {
    target[last] = value;
  }
  return JSON.stringify(event);
}

/** An SQS record as the Lambda event source mapping delivers it; `body` is taken verbatim. */
function sqsRecord(body: string): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${Buffer.from(randomUUID()).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1714566896789',
      SenderId: 'AROAEXAMPLEROLEID:orders-function',
      ApproximateFirstReceiveTimestamp: '1714566896801',
    },
    messageAttributes: {
      eventType: {
        stringValue: 'OrderPlaced',
        stringListValues: [],
        binaryListValues: [],
        dataType: 'String',
      },
    },
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

let handler: typeof OrderEvents.handler;
let stdout: jest.SpiedFunction<typeof process.stdout.write>;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;

function jsonLines(spy: jest.SpiedFunction<typeof process.stdout.write>): Record<string, unknown>[] {
  return spy.mock.calls
    .map(([chunk]) => String(chunk))
    .filter((line) => line.trimStart().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function emfDocuments(): Record<string, unknown>[] {
  return jsonLines(stdout).filter((document) => '_aws' in document);
}

beforeAll(async () => {
  process.env.POWERTOOLS_SERVICE_NAME = 'order-events';
  // Either would silence Metrics; make the test independent of the caller's shell.
  delete process.env.POWERTOOLS_DEV;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  jest.resetModules();
  ({ handler } = await import('../../functions/order-events/index'));
});

beforeEach(() => {
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('order-events handler', () => {
  it('reports only the poison messages and publishes metrics for the good ones', async () => {
    const placed = sqsRecord(JSON.stringify(orderEvent()));
    const notJson = sqsRecord('{"type": "OrderPlaced", "order": ');
    const cancelled = sqsRecord(JSON.stringify(orderEvent('OrderCancelled', 'ord-02')));
    const wrongShape = sqsRecord(bodyWith('order.totalCents', '49.97'));
    const placedToo = sqsRecord(JSON.stringify(orderEvent('OrderPlaced', 'ord-03', 1_000)));

    const response = await handler(sqsEvent(placed, notJson, cancelled, wrongShape, placedToo), context);

    expect(response.batchItemFailures).toHaveLength(2);
    expect(response.batchItemFailures).toEqual(
      expect.arrayContaining([
        { itemIdentifier: notJson.messageId },
        { itemIdentifier: wrongShape.messageId },
      ])
    );

    const documents = emfDocuments();
    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(document).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'MyApp/Orders',
            Dimensions: [['service']],
            Metrics: expect.arrayContaining([
              { Name: 'OrdersPlaced', Unit: 'Count' },
              { Name: 'OrderCancellations', Unit: 'Count' },
            ]),
          },
        ],
      },
      service: 'order-events',
      OrdersPlaced: [1, 1],
      OrderCancellations: 1,
    });
    // OrderValue is the orders API's metric: counting it here too would double every order.
    expect(document).not.toHaveProperty('OrderValue');
  });

  it('logs why each poison message was rejected, with its messageId', async () => {
    const good = sqsRecord(JSON.stringify(orderEvent()));
    const poison = sqsRecord(bodyWith('type', 'OrderShipped'));

    await handler(sqsEvent(good, poison), context);

    expect(jsonLines(stderr).filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'Rejected order event: it will be redelivered, then moved to the dead-letter queue',
        messageId: poison.messageId,
        receiveCount: '1',
        reason: expect.stringMatching(/^message body is not an order event \(type: Invalid option/),
      }),
    ]);
  });

  it('returns no failures when every message is valid, ignoring fields it does not read', async () => {
    const withNewField = { ...orderEvent('OrderPlaced', 'ord-02'), channel: 'mobile-app' };

    const response = await handler(
      sqsEvent(sqsRecord(JSON.stringify(orderEvent())), sqsRecord(JSON.stringify(withNewField))),
      context
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(emfDocuments()).toEqual([expect.objectContaining({ OrdersPlaced: [1, 1] })]);
  });

  it.each([
    ['not JSON', 'OrderPlaced ord-01'],
    ['an unknown event type', bodyWith('type', 'OrderShipped')],
    ['a missing eventId', bodyWith('eventId', undefined)],
    ['a missing order.orderId', bodyWith('order.orderId', undefined)],
    ['negative totalCents', bodyWith('order.totalCents', -1)],
    ['fractional cents', bodyWith('order.totalCents', 49.97)],
    ['no items', bodyWith('order.items', [])],
    ['a zero quantity', bodyWith('order.items.0.quantity', 0)],
    ['an occurredAt that is not ISO-8601', bodyWith('occurredAt', '01/05/2024 12:34')],
    [
      'the order fields flattened to the top level (no order envelope)',
      JSON.stringify({
        type: 'OrderPlaced',
        orderId: 'ord-01',
        userId: 'user-42',
        totalCents: 4_997,
        items: LINES,
        occurredAt: '2024-05-01T12:34:56.789Z',
      }),
    ],
  ])('treats %s as poison', async (_label, body) => {
    const good = sqsRecord(JSON.stringify(orderEvent()));
    const poison = sqsRecord(body);

    const response = await handler(sqsEvent(good, poison), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: poison.messageId }] });
  });

  it('fails the invocation when every message is poison, so SQS redelivers the batch', async () => {
    await expect(handler(sqsEvent(sqsRecord('nope'), sqsRecord('{}')), context)).rejects.toThrow(
      'All records failed processing'
    );
    expect(emfDocuments()).toEqual([]);
  });
});
