import { METRIC_NAMESPACES } from '../contracts';
import { type PipelineExecutionEvent } from './events';

/**
 * The delivery metrics of the AWS Deployment Pipeline Reference Architecture, computed from one
 * pipeline's execution state changes. Pure: the history goes in, the next history and the metrics
 * of this event come out; the repository keeps the history between events.
 *
 * - Lead time: execution start → SUCCEEDED. Prod is the last stage, so a succeeded execution is a
 *   change in production; the start (the source change that triggered it) stands in for the commit
 *   time, which the event does not carry.
 * - Deployment frequency: succeeded executions per day over the trailing window.
 * - Mean time between failures: the mean interval between consecutive FAILED executions.
 * - Mean time to recover: from the first failure after a success to the next success.
 *
 * STOPPED, SUPERSEDED and CANCELED are neither deployments nor failures: a person or a newer
 * execution ended them.
 */

/** Where the metrics are published (CloudWatch embedded metric format), per pipeline. */
export const DELIVERY_METRICS_NAMESPACE = METRIC_NAMESPACES.delivery;
/** The dimension that tells pipelines apart, beside Powertools' `service`. */
export const PIPELINE_DIMENSION = 'pipeline';

export const METRIC_NAMES = {
  deployments: 'Deployments',
  leadTime: 'LeadTime',
  deploymentFrequency: 'DeploymentFrequency',
  failures: 'Failures',
  timeBetweenFailures: 'TimeBetweenFailures',
  meanTimeBetweenFailures: 'MeanTimeBetweenFailures',
  timeToRecover: 'TimeToRecover',
  meanTimeToRecover: 'MeanTimeToRecover',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
/** CloudWatch units: durations in seconds, frequency in deployments per day. */
export type MetricUnitName = 'Count' | 'Seconds' | 'None';

export interface DeliveryMetric {
  readonly name: MetricName;
  readonly unit: MetricUnitName;
  readonly value: number;
}

export interface PipelineHistory {
  /** Start time of each execution not yet succeeded or ended (a failed one may be retried). */
  readonly starts: Readonly<Record<string, number>>;
  /** Success times within the frequency window. */
  readonly recentDeployments: readonly number[];
  readonly deployments: number;
  readonly failures: number;
  readonly lastFailureAt?: number;
  readonly failureIntervalsTotalMs: number;
  readonly failureIntervals: number;
  /** The first failure since the last success: production has not had a good change since. */
  readonly brokenSince?: number;
  readonly recoveriesTotalMs: number;
  readonly recoveries: number;
}

export const EMPTY_HISTORY: PipelineHistory = {
  starts: {},
  recentDeployments: [],
  deployments: 0,
  failures: 0,
  failureIntervalsTotalMs: 0,
  failureIntervals: 0,
  recoveriesTotalMs: 0,
  recoveries: 0,
};

const DAY_MS = 24 * 60 * 60 * 1000;
/** Deployment frequency is measured over this many trailing days. */
export const FREQUENCY_WINDOW_DAYS = 7;
/** Executions whose end was never seen are forgotten beyond this many (the oldest first). */
export const MAX_TRACKED_STARTS = 50;

export interface Applied {
  readonly history: PipelineHistory;
  readonly metrics: readonly DeliveryMetric[];
}

export function applyEvent(history: PipelineHistory, event: PipelineExecutionEvent): Applied {
  switch (event.state) {
    case 'STARTED':
      return { history: { ...history, starts: track(history.starts, event) }, metrics: [] };
    case 'SUCCEEDED':
      return succeeded(history, event);
    case 'FAILED':
      return failed(history, event);
    case 'STOPPED':
    case 'SUPERSEDED':
    case 'CANCELED':
      return { history: { ...history, starts: without(history.starts, event.executionId) }, metrics: [] };
    default:
      // STOPPING, RESUMED (a retry keeps its start) and states CodePipeline may add.
      return { history, metrics: [] };
  }
}

function succeeded(history: PipelineHistory, event: PipelineExecutionEvent): Applied {
  const start = history.starts[event.executionId] ?? event.startTime;
  const windowStart = event.time - FREQUENCY_WINDOW_DAYS * DAY_MS;
  const recentDeployments = [...history.recentDeployments.filter((t) => t > windowStart), event.time];
  const metrics: DeliveryMetric[] = [
    { name: METRIC_NAMES.deployments, unit: 'Count', value: 1 },
    {
      name: METRIC_NAMES.deploymentFrequency,
      unit: 'None',
      value: recentDeployments.length / FREQUENCY_WINDOW_DAYS,
    },
  ];
  if (start !== undefined && start <= event.time) {
    metrics.push({ name: METRIC_NAMES.leadTime, unit: 'Seconds', value: seconds(event.time - start) });
  }
  const recovery = addInterval(
    { count: history.recoveries, totalMs: history.recoveriesTotalMs },
    history.brokenSince,
    event.time,
    { last: METRIC_NAMES.timeToRecover, mean: METRIC_NAMES.meanTimeToRecover }
  );
  metrics.push(...recovery.metrics);
  return {
    history: {
      ...history,
      brokenSince: undefined,
      starts: without(history.starts, event.executionId),
      recentDeployments,
      deployments: history.deployments + 1,
      recoveries: recovery.count,
      recoveriesTotalMs: recovery.totalMs,
    },
    metrics,
  };
}

function failed(history: PipelineHistory, event: PipelineExecutionEvent): Applied {
  const metrics: DeliveryMetric[] = [{ name: METRIC_NAMES.failures, unit: 'Count', value: 1 }];
  const interval = addInterval(
    { count: history.failureIntervals, totalMs: history.failureIntervalsTotalMs },
    history.lastFailureAt,
    event.time,
    { last: METRIC_NAMES.timeBetweenFailures, mean: METRIC_NAMES.meanTimeBetweenFailures }
  );
  metrics.push(...interval.metrics);
  return {
    history: {
      // `starts` keeps the execution: retried and then succeeded, its lead time counts from its start.
      ...history,
      failures: history.failures + 1,
      lastFailureAt: event.time,
      failureIntervals: interval.count,
      failureIntervalsTotalMs: interval.totalMs,
      brokenSince: history.brokenSince ?? event.time,
    },
    metrics,
  };
}

/** A running mean of intervals: how many, and their total. */
interface RunningMean {
  readonly count: number;
  readonly totalMs: number;
}

/**
 * Adds the interval `since` → `now` to a running mean (MTBF, MTTR), with the metrics of the new
 * interval and of the new mean; nothing when there is no `since` (no failure yet, or not broken).
 */
function addInterval(
  mean: RunningMean,
  since: number | undefined,
  now: number,
  names: { readonly last: MetricName; readonly mean: MetricName }
): RunningMean & { readonly metrics: DeliveryMetric[] } {
  if (since === undefined) return { ...mean, metrics: [] };
  const intervalMs = Math.max(0, now - since);
  const next = { count: mean.count + 1, totalMs: mean.totalMs + intervalMs };
  return {
    ...next,
    metrics: [
      { name: names.last, unit: 'Seconds', value: seconds(intervalMs) },
      { name: names.mean, unit: 'Seconds', value: seconds(next.totalMs / next.count) },
    ],
  };
}

function track(
  starts: Readonly<Record<string, number>>,
  event: PipelineExecutionEvent
): Record<string, number> {
  const entries = Object.entries({ ...starts, [event.executionId]: event.startTime ?? event.time });
  return Object.fromEntries(entries.sort(([, a], [, b]) => b - a).slice(0, MAX_TRACKED_STARTS));
}

function without(starts: Readonly<Record<string, number>>, executionId: string): Record<string, number> {
  return Object.fromEntries(Object.entries(starts).filter(([id]) => id !== executionId));
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
