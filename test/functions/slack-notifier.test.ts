import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, SNSEvent } from 'aws-lambda';
import type * as SlackNotifier from '../../functions/slack-notifier/index';
import { webhookUrlFromSecret } from '../../functions/slack-notifier/slack-webhook';

type Handler = typeof SlackNotifier.handler;

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-webhook-AbCdEf';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alarms';
const SNS_TIMESTAMP = '2024-05-01T12:34:56.789Z';
const SNS_TIMESTAMP_UNIX = 1714566896;

/** Stands in for Slack: records every POST and answers with `status`. */
const slack = {
  server: undefined as Server | undefined,
  url: '',
  status: 200,
  requests: [] as { contentType: string | undefined; body: string }[],
};

/** Stands in for Secrets Manager's JSON protocol (GetSecretValue only). */
const secretsManager = {
  server: undefined as Server | undefined,
  secretString: '',
  requests: [] as { target: string | undefined; body: string }[],
};

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'slack-notifier',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:slack-notifier',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/slack-notifier',
  logStreamName: '2024/05/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** The notification CloudWatch publishes to SNS for a metric alarm (trimmed of nothing we rely on). */
function alarmNotification(state: 'ALARM' | 'OK', reason: string): string {
  return JSON.stringify({
    AlarmName: 'api-5xx-errors',
    AlarmDescription: 'API Gateway 5XX errors above threshold',
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2024-05-01T12:00:00.000+0000',
    NewStateValue: state,
    NewStateReason: reason,
    StateChangeTime: '2024-05-01T12:34:56.123+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx-errors',
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    OKActions: [TOPIC_ARN],
    AlarmActions: [TOPIC_ARN],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: '5XXError',
      Namespace: 'AWS/ApiGateway',
      StatisticType: 'Statistic',
      Statistic: 'SUM',
      Unit: null,
      Dimensions: [{ value: 'orders-api', name: 'ApiName' }],
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 10.0,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  });
}

const ALARM_REASON =
  'Threshold Crossed: 1 out of the last 1 datapoints [12.0 (01/05/24 12:33:00)] was greater than or ' +
  'equal to the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).';
const OK_REASON =
  'Threshold Crossed: 1 out of the last 1 datapoints [0.0 (01/05/24 12:38:00)] was not greater than ' +
  'or equal to the threshold (10.0) (minimum 1 datapoint for ALARM -> OK transition).';

function snsEvent(...messages: string[]): SNSEvent {
  return {
    Records: messages.map((message, i) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: `${TOPIC_ARN}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
      Sns: {
        Type: 'Notification',
        MessageId: `95df01b4-ee98-5cb9-9903-4c221d41eb5${i}`,
        TopicArn: TOPIC_ARN,
        Subject: 'ALARM: "api-5xx-errors" in US East (N. Virginia)',
        Message: message,
        Timestamp: SNS_TIMESTAMP,
        SignatureVersion: '1',
        Signature: 'tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...',
        SigningCertUrl:
          'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
        UnsubscribeUrl:
          'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=' +
          `${TOPIC_ARN}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        MessageAttributes: {},
      },
    })),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** A fresh container: module-scope state (the cached webhook URL) starts empty. */
async function coldStart(): Promise<Handler> {
  jest.resetModules();
  return (await import('../../functions/slack-notifier/index')).handler;
}

/** Parsed JSON lines the Powertools Logger wrote during the test (warn and error go to stderr). */
let stdout: jest.SpiedFunction<typeof process.stdout.write>;
let stderr: jest.SpiedFunction<typeof process.stderr.write>;
function logLines(): Record<string, unknown>[] {
  return [...stdout.mock.calls, ...stderr.mock.calls]
    .map(([chunk]) => String(chunk))
    .filter((line) => line.trimStart().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  slack.server = createServer((request, response) => {
    void readBody(request).then((body) => {
      slack.requests.push({ contentType: request.headers['content-type'], body });
      response.writeHead(slack.status, { 'content-type': 'text/plain' });
      response.end(slack.status === 200 ? 'ok' : 'internal_error');
    });
  });
  slack.url = `${await listen(slack.server)}/hook`;

  secretsManager.server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const target = request.headers['x-amz-target'] as string | undefined;
      secretsManager.requests.push({ target, body });
      if (target !== 'secretsmanager.GetSecretValue') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'UnknownOperationException' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          ARN: SECRET_ARN,
          Name: 'slack-webhook',
          SecretString: secretsManager.secretString,
          VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1714566000.123,
        })
      );
    });
  });
  const secretsManagerUrl = await listen(secretsManager.server);

  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManagerUrl;
  process.env.SLACK_WEBHOOK_SECRET_ARN = SECRET_ARN;
  process.env.POWERTOOLS_SERVICE_NAME = 'slack-notifier';
});

afterAll(async () => {
  await Promise.all([close(slack.server), close(secretsManager.server)]);
});

beforeEach(() => {
  slack.status = 200;
  slack.requests = [];
  secretsManager.secretString = slack.url;
  secretsManager.requests = [];
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('slack-notifier handler', () => {
  it('posts an ALARM as a red attachment with the SNS time in unix seconds', async () => {
    const handler = await coldStart();

    const summary = await handler(snsEvent(alarmNotification('ALARM', ALARM_REASON)), context);

    expect(summary).toEqual({ posted: 1, malformedAlarmMessages: 0 });
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.contentType).toBe('application/json');
    expect(JSON.parse(slack.requests[0]!.body)).toEqual({
      attachments: [
        {
          color: 'danger',
          title: 'CloudWatch Alarm: api-5xx-errors',
          text: `State: ALARM\nReason: ${ALARM_REASON}`,
          ts: SNS_TIMESTAMP_UNIX,
        },
      ],
    });
  });

  it('posts an OK as a green attachment', async () => {
    const handler = await coldStart();

    await handler(snsEvent(alarmNotification('OK', OK_REASON)), context);

    expect(slack.requests.map((request): unknown => JSON.parse(request.body))).toEqual([
      {
        attachments: [
          {
            color: 'good',
            title: 'CloudWatch Alarm: api-5xx-errors',
            text: `State: OK\nReason: ${OK_REASON}`,
            ts: SNS_TIMESTAMP_UNIX,
          },
        ],
      },
    ]);
  });

  it('asks Secrets Manager for the configured secret once per container', async () => {
    const handler = await coldStart();

    await handler(snsEvent(alarmNotification('ALARM', ALARM_REASON)), context);
    await handler(snsEvent(alarmNotification('OK', OK_REASON)), context);

    expect(slack.requests).toHaveLength(2);
    expect(secretsManager.requests).toEqual([
      { target: 'secretsmanager.GetSecretValue', body: JSON.stringify({ SecretId: SECRET_ARN }) },
    ]);
  });

  it('reads the URL from a JSON secret {"url": ...}', async () => {
    secretsManager.secretString = JSON.stringify({ url: slack.url });
    const handler = await coldStart();

    await handler(snsEvent(alarmNotification('ALARM', ALARM_REASON)), context);

    expect(slack.requests).toHaveLength(1);
  });

  it('rejects when Slack answers 500, and refetches the secret on the retry', async () => {
    const handler = await coldStart();
    slack.status = 500;

    await expect(handler(snsEvent(alarmNotification('ALARM', ALARM_REASON)), context)).rejects.toThrow(
      'Slack webhook answered HTTP 500: internal_error'
    );

    slack.status = 200;
    await handler(snsEvent(alarmNotification('ALARM', ALARM_REASON)), context);
    expect(slack.requests).toHaveLength(2);
    expect(secretsManager.requests).toHaveLength(2);
  });

  it('skips and logs a malformed message while the other records still post', async () => {
    const handler = await coldStart();
    const event = snsEvent(
      'this is not json',
      alarmNotification('ALARM', ALARM_REASON),
      JSON.stringify({ AlarmName: 'api-5xx-errors', NewStateValue: 'PANIC' })
    );

    const summary = await handler(event, context);

    expect(summary).toEqual({ posted: 1, malformedAlarmMessages: 2 });
    expect(slack.requests).toHaveLength(1);
    expect(JSON.parse(slack.requests[0]!.body)).toMatchObject({ attachments: [{ color: 'danger' }] });
    const skipped = logLines().filter((line) => line.level === 'ERROR');
    expect(skipped).toEqual([
      expect.objectContaining({
        message: 'Skipped SNS message: not a CloudWatch alarm notification',
        snsMessageId: event.Records[0]!.Sns.MessageId,
        reason: 'message is not JSON',
      }),
      expect.objectContaining({
        message: 'Skipped SNS message: not a CloudWatch alarm notification',
        snsMessageId: event.Records[2]!.Sns.MessageId,
        reason: expect.stringMatching(
          /not a CloudWatch alarm notification \(NewStateValue: .*NewStateReason: /s
        ),
      }),
    ]);
  });

  it('neither posts nor reads the secret when no record is an alarm', async () => {
    const handler = await coldStart();

    const summary = await handler(snsEvent('{"hello":"world"}'), context);

    expect(summary).toEqual({ posted: 0, malformedAlarmMessages: 1 });
    expect(slack.requests).toHaveLength(0);
    expect(secretsManager.requests).toHaveLength(0);
  });

  it('fails with instructions while the secret holds its placeholder, and recovers once set', async () => {
    secretsManager.secretString = 'Xq3#v9!placeholder-generated-by-the-stack';
    const handler = await coldStart();
    const event = snsEvent(alarmNotification('ALARM', ALARM_REASON));
    const expected =
      `Slack webhook secret ${SECRET_ARN} does not hold an https URL; ` +
      'set it with aws secretsmanager put-secret-value';

    await expect(handler(event, context)).rejects.toThrow(expected);
    expect(slack.requests).toHaveLength(0);
    expect(logLines()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: expect.stringContaining(expected) })
    );
    expect(JSON.stringify(logLines())).not.toContain('placeholder-generated');

    secretsManager.secretString = slack.url;
    await handler(event, context);
    expect(slack.requests).toHaveLength(1);
    expect(secretsManager.requests).toHaveLength(2);
  });
});

describe('webhookUrlFromSecret', () => {
  // Assembled at run time: a webhook-shaped literal in the repository fails the secrets scan.
  const hook = ['https://hooks.slack.com/services', 'T000', 'B000', 'XXXX'].join('/');
  it.each([
    ['a plain https URL', hook, hook],
    ['JSON with a url field', JSON.stringify({ url: hook }), hook],
    ['a URL with surrounding whitespace', `  ${hook}\n`, hook],
    ['http to a loopback host (tests)', 'http://127.0.0.1:8080/hook', 'http://127.0.0.1:8080/hook'],
  ])('accepts %s', (_label, secretString, expected) => {
    expect(webhookUrlFromSecret(secretString)).toBe(expected);
  });

  it.each([
    ['a random placeholder', 'p@ssw0rd-placeholder'],
    ['an empty string', ''],
    ['plain http to a remote host', 'http://hooks.slack.com/services/T000/B000/XXXX'],
    ['another scheme', 'ftp://hooks.slack.com/services'],
    ['JSON without url', JSON.stringify({ webhook: hook })],
    ['broken JSON', '{"url": '],
  ])('rejects %s', (_label, secretString) => {
    expect(webhookUrlFromSecret(secretString)).toBeUndefined();
  });
});
