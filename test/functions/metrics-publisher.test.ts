import type { Context } from 'aws-lambda';
import type * as MetricsPublisher from '../../functions/metrics-publisher/index';

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'metrics-publisher',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:metrics-publisher',
  memoryLimitInMB: '128',
  awsRequestId: '7f4a1c2e-4b8d-4e0f-9a61-0c5e2d3b4a59',
  logGroupName: '/aws/lambda/metrics-publisher',
  logStreamName: '2024/05/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

let handler: typeof MetricsPublisher.handler;
let stdout: jest.SpiedFunction<typeof process.stdout.write>;

/** EMF documents (JSON lines carrying `_aws`) written to stdout; Logger lines are filtered out. */
function emfDocuments(): Record<string, unknown>[] {
  return stdout.mock.calls
    .map(([chunk]) => String(chunk))
    .filter((line) => line.trimStart().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((document) => '_aws' in document);
}

function emf(namespace: string, name: string, unit: string, value: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [['service']], Metrics: [{ Name: name, Unit: unit }] },
      ],
    },
    service: 'business-metrics',
    [name]: value,
  };
}

beforeAll(async () => {
  process.env.POWERTOOLS_SERVICE_NAME = 'business-metrics';
  // Either would silence Metrics; make the test independent of the caller's shell.
  delete process.env.POWERTOOLS_DEV;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  jest.resetModules();
  ({ handler } = await import('../../functions/metrics-publisher/index'));
});

beforeEach(() => {
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('metrics-publisher handler', () => {
  it('publishes NewRegistrations to MyApp/Users and OrderValue to MyApp/Orders as EMF', async () => {
    const published = await handler({ new_users: 3, order_amount: 149.99 }, context);

    expect(published).toEqual({ NewRegistrations: 3, OrderValue: 149.99 });
    expect(emfDocuments()).toEqual([
      emf('MyApp/Users', 'NewRegistrations', 'Count', 3),
      emf('MyApp/Orders', 'OrderValue', 'None', 149.99),
    ]);
  });

  it('publishes NewRegistrations 0 and no OrderValue for an empty payload', async () => {
    await handler({}, context);

    expect(emfDocuments()).toEqual([emf('MyApp/Users', 'NewRegistrations', 'Count', 0)]);
  });

  it('publishes an order amount of 0 rather than dropping it', async () => {
    await handler({ order_amount: 0 }, context);

    expect(emfDocuments()).toEqual([
      emf('MyApp/Users', 'NewRegistrations', 'Count', 0),
      emf('MyApp/Orders', 'OrderValue', 'None', 0),
    ]);
  });

  it.each([
    ['negative new_users', { new_users: -1 }, /new_users: Too small: expected number to be >=0/],
    ['fractional new_users', { new_users: 2.5 }, /new_users: Invalid input: expected int, received number/],
    ['a numeric string', { new_users: '3' }, /new_users: Invalid input: expected number, received string/],
    ['negative order_amount', { order_amount: -5 }, /order_amount: Too small: expected number to be >=0/],
    ['one bad field beside a good one', { new_users: 3, order_amount: -1 }, /order_amount: Too small/],
    ['a misspelt key', { newUsers: 3 }, /\(payload\): Unrecognized key: "newUsers"/],
    ['a non-object payload', null, /\(payload\): Invalid input: expected object, received null/],
  ])('rejects %s with a clear message and emits nothing', async (_label, payload, reason) => {
    const rejection = handler(payload, context);

    await expect(rejection).rejects.toThrow(/^Invalid metrics-publisher payload: /);
    await expect(rejection).rejects.toThrow(reason);
    expect(emfDocuments()).toEqual([]);
  });
});
