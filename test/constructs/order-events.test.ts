import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { ORDER_EVENTS_MAX_RECEIVES, OrderEvents } from '../../lib/constructs/order-events';

function setup() {
  const stack = new Stack(new App(), 'Test');
  const events = new OrderEvents(stack, 'OrderEvents', { removalPolicy: RemovalPolicy.RETAIN });
  const consumer = new lambda.Function(stack, 'Consumer', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  return { stack, events, consumer };
}

describe('OrderEvents', () => {
  const { stack, events, consumer } = setup();
  events.addConsumer(consumer);
  const template = Template.fromStack(stack);

  const queueId = Stack.of(events).getLogicalId(events.queue.node.defaultChild as sqs.CfnQueue);
  const deadLetterQueueId = Stack.of(events).getLogicalId(
    events.deadLetterQueue.node.defaultChild as sqs.CfnQueue
  );

  test('retains both queues when asked, encrypted, TLS only', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
  });

  test('redrives to the dead-letter queue after the maximum receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] },
        maxReceiveCount: ORDER_EVENTS_MAX_RECEIVES,
      },
    });
  });

  test('feeds the consumer in batches of 10 reporting per-message failures, and lets it receive', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:ReceiveMessage']),
            Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          }),
        ]),
      },
    });
  });

  test('names the mapping as SqsEventSource named it for the queue at the stack top level', () => {
    expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toEqual([
      expect.stringMatching(/^ConsumerSqsEventSourceTestOrderEventsQueue[0-9A-F]{16}$/),
    ]);
  });

  test('throws when a second consumer is added', () => {
    expect(() => events.addConsumer(consumer)).toThrow(/already feeds Test\/Consumer, cannot add/);
  });
});
