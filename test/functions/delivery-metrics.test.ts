import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import {
  applyEvent,
  EMPTY_HISTORY,
  FREQUENCY_WINDOW_DAYS,
  MAX_TRACKED_STARTS,
  type DeliveryMetric,
  type PipelineHistory,
} from '../../functions/shared/delivery-metrics/compute';
import {
  InvalidPipelineEventError,
  parsePipelineExecutionEvent,
  type PipelineExecutionEvent,
} from '../../functions/shared/delivery-metrics/events';
import {
  deliveryKeys,
  DynamoDbDeliveryMetricsRepository,
} from '../../functions/shared/delivery-metrics/repository';
import { recordEvent } from '../../functions/shared/delivery-metrics/service';
import type * as DeliveryMetricsHandler from '../../functions/delivery-metrics/index';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';

/**
 * Delivery metrics from CodePipeline's pipeline-level EventBridge events, in the shape AWS
 * documents (CodePipeline User Guide, "Monitoring CodePipeline events"): the computation on its own,
 * the history in DynamoDB Local, and the handler's embedded-metric-format output.
 */
const PIPELINE = 'app-delivery';
const ACCOUNT = '444444444444';
const T0 = Date.parse('2024-05-01T09:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let eventCounter = 0;
/** An execution state change as EventBridge delivers it (`start-time` only where given). */
function stateChange(
  executionId: string,
  state: string,
  at: number,
  startTime?: number
): Record<string, unknown> {
  eventCounter += 1;
  return {
    version: '0',
    id: `0b3f5c9e-0000-4000-8000-${String(eventCounter).padStart(12, '0')}`,
    'detail-type': 'CodePipeline Pipeline Execution State Change',
    source: 'aws.codepipeline',
    account: ACCOUNT,
    time: new Date(at).toISOString().replace(/\.000Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:codepipeline:us-east-1:${ACCOUNT}:${PIPELINE}`],
    detail: {
      pipeline: PIPELINE,
      'execution-id': executionId,
      ...(startTime !== undefined ? { 'start-time': new Date(startTime).toISOString() } : {}),
      'execution-trigger': {
        'trigger-type': 'CodeStarSourceConnection',
        'trigger-detail': 'arn:aws:codeconnections:us-east-1:444444444444:connection/abc',
      },
      state,
      version: 3.0,
      'pipeline-execution-attempt': 1.0,
    },
  };
}

/** Applies the events in order, collecting every metric by name. */
function replay(events: readonly Record<string, unknown>[], from: PipelineHistory = EMPTY_HISTORY) {
  let history = from;
  const emitted: DeliveryMetric[] = [];
  for (const raw of events) {
    const applied = applyEvent(history, parsePipelineExecutionEvent(raw));
    history = applied.history;
    emitted.push(...applied.metrics);
  }
  const values = (name: string) => emitted.filter((m) => m.name === name).map((m) => m.value);
  return { history, emitted, values };
}

describe('parsing CodePipeline events', () => {
  test('reads the documented shape: pipeline, execution id, state, time, start-time', () => {
    const raw = stateChange('exec-1', 'SUCCEEDED', T0 + HOUR, T0);
    expect(parsePipelineExecutionEvent(raw)).toEqual({
      eventId: raw.id,
      pipeline: PIPELINE,
      executionId: 'exec-1',
      state: 'SUCCEEDED',
      time: T0 + HOUR,
      startTime: T0,
    });
  });

  test('start-time is optional (older events do not carry it)', () => {
    expect(parsePipelineExecutionEvent(stateChange('exec-1', 'STARTED', T0))).not.toHaveProperty('startTime');
  });

  test.each([
    ['a stage event', { 'detail-type': 'CodePipeline Stage Execution State Change' }, /detail-type/],
    ['another source', { source: 'aws.codebuild' }, /source/],
    ['a time that is not a time', { time: 'yesterday' }, /time: an ISO 8601 time/],
  ])('rejects %s, naming the field', (_name, override, message) => {
    const raw = { ...stateChange('exec-1', 'STARTED', T0), ...override };
    expect(() => parsePipelineExecutionEvent(raw)).toThrow(InvalidPipelineEventError);
    expect(() => parsePipelineExecutionEvent(raw)).toThrow(message);
  });

  test('rejects an event without an execution id', () => {
    const raw = stateChange('exec-1', 'STARTED', T0);
    delete (raw.detail as Record<string, unknown>)['execution-id'];
    expect(() => parsePipelineExecutionEvent(raw)).toThrow(/detail\.execution-id/);
  });
});

describe('computing the metrics', () => {
  test('lead time: from STARTED to SUCCEEDED of the same execution; one deployment', () => {
    const { values, history } = replay([
      stateChange('exec-1', 'STARTED', T0),
      stateChange('exec-1', 'SUCCEEDED', T0 + 42 * MINUTE),
    ]);
    expect(values('LeadTime')).toEqual([42 * 60]);
    expect(values('Deployments')).toEqual([1]);
    expect(history.starts).toEqual({});
  });

  test("lead time falls back to the event's start-time when the STARTED event was not seen", () => {
    const { values } = replay([stateChange('exec-9', 'SUCCEEDED', T0 + 30 * MINUTE, T0)]);
    expect(values('LeadTime')).toEqual([30 * 60]);
  });

  test('no lead time when the start is unknown; the deployment still counts', () => {
    const { values } = replay([stateChange('exec-9', 'SUCCEEDED', T0)]);
    expect(values('LeadTime')).toEqual([]);
    expect(values('Deployments')).toEqual([1]);
  });

  test('deployment frequency: successes per day over the trailing window', () => {
    const successes = [0, 1, 2, 3].map((day) => [
      stateChange(`exec-${day}`, 'STARTED', T0 + day * 24 * HOUR),
      stateChange(`exec-${day}`, 'SUCCEEDED', T0 + day * 24 * HOUR + HOUR),
    ]);
    const { values } = replay(successes.flat());
    expect(values('DeploymentFrequency')).toEqual([1, 2, 3, 4].map((n) => n / FREQUENCY_WINDOW_DAYS));
    // Ten days later, only the new success is in the window.
    const later = replay(
      [stateChange('exec-late', 'SUCCEEDED', T0 + 13 * 24 * HOUR)],
      replay(successes.flat()).history
    );
    expect(later.values('DeploymentFrequency')).toEqual([1 / FREQUENCY_WINDOW_DAYS]);
  });

  test('time to recover: from the first failure after a success to the next success', () => {
    const { values } = replay([
      stateChange('exec-1', 'STARTED', T0),
      stateChange('exec-1', 'SUCCEEDED', T0 + 20 * MINUTE),
      stateChange('exec-2', 'STARTED', T0 + HOUR),
      stateChange('exec-2', 'FAILED', T0 + HOUR + 10 * MINUTE),
      stateChange('exec-3', 'STARTED', T0 + 2 * HOUR),
      stateChange('exec-3', 'FAILED', T0 + 2 * HOUR + 5 * MINUTE),
      stateChange('exec-4', 'STARTED', T0 + 3 * HOUR),
      stateChange('exec-4', 'SUCCEEDED', T0 + 3 * HOUR + 10 * MINUTE),
    ]);
    // Broken from exec-2's failure (1:10) until exec-4's success (3:10).
    expect(values('TimeToRecover')).toEqual([2 * 60 * 60]);
    expect(values('MeanTimeToRecover')).toEqual([2 * 60 * 60]);
    expect(values('Failures')).toEqual([1, 1]);
  });

  test('mean time to recover averages every recovery', () => {
    const { values, history } = replay([
      stateChange('a', 'FAILED', T0),
      stateChange('b', 'SUCCEEDED', T0 + HOUR),
      stateChange('c', 'FAILED', T0 + 5 * HOUR),
      stateChange('d', 'SUCCEEDED', T0 + 8 * HOUR),
    ]);
    expect(values('TimeToRecover')).toEqual([3600, 3 * 3600]);
    expect(values('MeanTimeToRecover')).toEqual([3600, 2 * 3600]);
    expect(history.brokenSince).toBeUndefined();
  });

  test('mean time between failures: the mean interval between consecutive failures', () => {
    const { values } = replay([
      stateChange('a', 'FAILED', T0),
      stateChange('b', 'SUCCEEDED', T0 + HOUR),
      stateChange('c', 'FAILED', T0 + 4 * HOUR),
      stateChange('d', 'FAILED', T0 + 6 * HOUR),
    ]);
    expect(values('TimeBetweenFailures')).toEqual([4 * 3600, 2 * 3600]);
    expect(values('MeanTimeBetweenFailures')).toEqual([4 * 3600, 3 * 3600]);
  });

  test('a failed execution retried to success keeps its lead time from the first start', () => {
    const { values } = replay([
      stateChange('exec-1', 'STARTED', T0),
      stateChange('exec-1', 'FAILED', T0 + 10 * MINUTE),
      stateChange('exec-1', 'RESUMED', T0 + 30 * MINUTE),
      stateChange('exec-1', 'SUCCEEDED', T0 + 50 * MINUTE),
    ]);
    expect(values('LeadTime')).toEqual([50 * 60]);
    expect(values('TimeToRecover')).toEqual([40 * 60]);
  });

  test('STOPPED, SUPERSEDED and CANCELED are neither deployments nor failures', () => {
    const { emitted, history } = replay([
      stateChange('a', 'STARTED', T0),
      stateChange('a', 'SUPERSEDED', T0 + MINUTE),
      stateChange('b', 'STARTED', T0 + 2 * MINUTE),
      stateChange('b', 'STOPPING', T0 + 3 * MINUTE),
      stateChange('b', 'STOPPED', T0 + 4 * MINUTE),
      stateChange('c', 'STARTED', T0 + 5 * MINUTE),
      stateChange('c', 'CANCELED', T0 + 6 * MINUTE),
    ]);
    expect(emitted).toEqual([]);
    expect(history).toEqual(EMPTY_HISTORY);
  });

  test(`remembers at most ${MAX_TRACKED_STARTS} unfinished executions, the newest`, () => {
    const starts = Array.from({ length: MAX_TRACKED_STARTS + 5 }, (_, i) =>
      stateChange(`exec-${i}`, 'STARTED', T0 + i * MINUTE)
    );
    const { history } = replay(starts);
    expect(Object.keys(history.starts)).toHaveLength(MAX_TRACKED_STARTS);
    expect(history.starts['exec-0']).toBeUndefined();
    expect(history.starts[`exec-${MAX_TRACKED_STARTS + 4}`]).toBe(T0 + (MAX_TRACKED_STARTS + 4) * MINUTE);
  });
});

describe('the history in DynamoDB (DynamoDB Local)', () => {
  let table: TestTable;
  let repository: DynamoDbDeliveryMetricsRepository;

  beforeAll(async () => {
    table = await createTestTable('delivery');
    repository = new DynamoDbDeliveryMetricsRepository(table.client, table.tableName);
  });
  afterAll(async () => {
    await table.destroy();
  });

  const parsed = (raw: Record<string, unknown>): PipelineExecutionEvent => parsePipelineExecutionEvent(raw);

  test('keeps the history across events: the lead time spans two invocations', async () => {
    const pipeline = { ...stateChange('exec-1', 'STARTED', T0) };
    (pipeline.detail as Record<string, unknown>).pipeline = 'across-events';
    expect(await recordEvent(repository, parsed(pipeline))).toEqual({ metrics: [], duplicate: false });
    const done = stateChange('exec-1', 'SUCCEEDED', T0 + 15 * MINUTE);
    (done.detail as Record<string, unknown>).pipeline = 'across-events';
    const { metrics } = await recordEvent(repository, parsed(done));
    expect(metrics).toEqual(expect.arrayContaining([{ name: 'LeadTime', unit: 'Seconds', value: 900 }]));
    expect((await repository.load('across-events')).version).toBe(2);
  });

  test('applies a redelivered event once (EventBridge delivers at least once)', async () => {
    const failure = parsed(stateChange('exec-2', 'FAILED', T0));
    expect((await recordEvent(repository, failure)).metrics).toHaveLength(1);
    expect(await recordEvent(repository, failure)).toEqual({ metrics: [], duplicate: true });
    expect((await repository.load(PIPELINE)).history.failures).toBe(1);
  });

  test('marks processed events with an expiry, so the table does not grow with them', async () => {
    const event = parsed(stateChange('exec-3', 'STARTED', T0));
    await recordEvent(repository, event, () => T0);
    const { Item } = await table.client.send(
      new GetCommand({
        TableName: table.tableName,
        Key: deliveryKeys.event(event.eventId),
      })
    );
    expect(Item?.expiresAt).toBeGreaterThan(T0 / 1000);
  });

  test('concurrent events of one pipeline are all applied (optimistic locking, retried)', async () => {
    const events = Array.from({ length: 6 }, (_, i) => {
      const raw = stateChange(`race-${i}`, 'FAILED', T0 + i * MINUTE);
      (raw.detail as Record<string, unknown>).pipeline = 'racing';
      return parsed(raw);
    });
    await Promise.all(events.map((event) => recordEvent(repository, event)));
    const { history, version } = await repository.load('racing');
    expect(history.failures).toBe(6);
    expect(version).toBe(6);
  });

  test('a pipeline never seen has an empty history', async () => {
    expect(await repository.load('never-seen')).toEqual({ history: EMPTY_HISTORY, version: 0 });
  });
});

describe('the handler', () => {
  let table: TestTable;
  let handler: typeof DeliveryMetricsHandler.handler;
  let stdout: jest.SpiedFunction<typeof process.stdout.write>;
  const context = { functionName: 'delivery-metrics', awsRequestId: 'req-1' } as Context;

  beforeAll(async () => {
    table = await createTestTable('delivery-handler');
    useTableFromHandlers(table);
    process.env.POWERTOOLS_SERVICE_NAME = 'delivery-metrics';
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    jest.resetModules();
    ({ handler } = await import('../../functions/delivery-metrics/index'));
  });
  afterAll(async () => {
    await table.destroy();
  });
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  const emf = () =>
    stdout.mock.calls
      .map(([chunk]) => String(chunk))
      .filter((line) => line.trimStart().startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((document) => '_aws' in document);

  test('publishes the lead time and the deployment in the DeliveryMetrics namespace, per pipeline', async () => {
    await handler(stateChange('h-1', 'STARTED', T0), context);
    expect(emf()).toEqual([]);
    await handler(stateChange('h-1', 'SUCCEEDED', T0 + 20 * MINUTE), context);
    const [document] = emf();
    expect(document).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          expect.objectContaining({
            Namespace: 'DeliveryMetrics',
            Dimensions: [expect.arrayContaining(['service', 'pipeline'])],
          }),
        ],
      },
      service: 'delivery-metrics',
      pipeline: PIPELINE,
      LeadTime: 1200,
      Deployments: 1,
      DeploymentFrequency: 1 / FREQUENCY_WINDOW_DAYS,
    });
  });

  test('rejects an event that is not a pipeline execution state change (it goes to the DLQ)', async () => {
    // The handler module was loaded after resetModules: its error class is another copy.
    await expect(handler({ 'detail-type': 'Scheduled Event' }, context)).rejects.toThrow(
      /^Not a pipeline execution state change: /
    );
  });
});
