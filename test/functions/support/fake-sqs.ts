import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface ReceivedMessage {
  readonly queueUrl: string;
  readonly body: string;
  readonly attributes: Record<string, { DataType: string; StringValue?: string }>;
}

/**
 * A tiny stand-in for the SQS endpoint (AWS JSON 1.0 protocol, SendMessage only), so the real
 * SQS client and publisher run end to end without AWS. It records what it receives and can be
 * told to refuse the next sends, as a missing queue would.
 */
export interface FakeSqs {
  readonly endpoint: string;
  readonly queueUrl: string;
  readonly messages: ReceivedMessage[];
  /** Answer the next `count` SendMessage calls with a non-retryable error. */
  failNext(count: number): void;
  close(): Promise<void>;
}

interface SendMessageRequest {
  QueueUrl: string;
  MessageBody: string;
  MessageAttributes?: ReceivedMessage['attributes'];
}

export async function startFakeSqs(): Promise<FakeSqs> {
  const messages: ReceivedMessage[] = [];
  let failures = 0;

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      response.setHeader('Content-Type', 'application/x-amz-json-1.0');
      if (target !== 'AmazonSQS.SendMessage') {
        response
          .writeHead(400)
          .end(JSON.stringify({ __type: 'InvalidAction', message: `unsupported ${String(target)}` }));
        return;
      }
      if (failures > 0) {
        failures--;
        response
          .writeHead(400, { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' })
          .end(
            JSON.stringify({
              __type: 'com.amazonaws.sqs#QueueDoesNotExist',
              message: 'The queue does not exist.',
            })
          );
        return;
      }
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SendMessageRequest;
      messages.push({
        queueUrl: input.QueueUrl,
        body: input.MessageBody,
        attributes: input.MessageAttributes ?? {},
      });
      response.writeHead(200).end(
        JSON.stringify({
          MessageId: randomUUID(),
          // The SDK verifies this checksum of the body it sent.
          MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex'),
        })
      );
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    queueUrl: `${endpoint}/123456789012/order-events`,
    messages,
    failNext: (count) => {
      failures = count;
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
