import { z } from 'zod';

/**
 * CodePipeline's pipeline-level EventBridge event, as AWS documents it: detail-type "CodePipeline
 * Pipeline Execution State Change", source "aws.codepipeline", and a detail of the pipeline, the
 * execution id, its new state, the pipeline version and (in newer events) the execution's
 * start-time. Delivered at least once, so `id` identifies a duplicate.
 */
export const PIPELINE_EXECUTION_DETAIL_TYPE = 'CodePipeline Pipeline Execution State Change';
export const CODEPIPELINE_SOURCE = 'aws.codepipeline';

/** Execution states CodePipeline reports; others may come and are ignored. */
export type ExecutionState =
  'STARTED' | 'STOPPING' | 'STOPPED' | 'SUCCEEDED' | 'SUPERSEDED' | 'FAILED' | 'CANCELED' | 'RESUMED';

const timestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO 8601 time');

const PipelineExecutionEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.literal(PIPELINE_EXECUTION_DETAIL_TYPE),
  source: z.literal(CODEPIPELINE_SOURCE),
  time: timestamp,
  detail: z.object({
    pipeline: z.string().min(1),
    'execution-id': z.string().min(1),
    state: z.string().min(1),
    'start-time': timestamp.optional(),
  }),
});

/** What the metrics need from one event; times are epoch milliseconds. */
export interface PipelineExecutionEvent {
  readonly eventId: string;
  readonly pipeline: string;
  readonly executionId: string;
  readonly state: string;
  /** When the state changed (the event's `time`). */
  readonly time: number;
  /** When the execution started, where the event says. */
  readonly startTime?: number;
}

export class InvalidPipelineEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPipelineEventError';
  }
}

export function parsePipelineExecutionEvent(event: unknown): PipelineExecutionEvent {
  const parsed = PipelineExecutionEventSchema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
    throw new InvalidPipelineEventError(`Not a pipeline execution state change: ${issues.join('; ')}`);
  }
  const { id, time, detail } = parsed.data;
  const startTime = detail['start-time'];
  return {
    eventId: id,
    pipeline: detail.pipeline,
    executionId: detail['execution-id'],
    state: detail.state,
    time: Date.parse(time),
    ...(startTime !== undefined ? { startTime: Date.parse(startTime) } : {}),
  };
}
