import { applyEvent, type DeliveryMetric } from './compute';
import { type PipelineExecutionEvent } from './events';
import { type DeliveryMetricsRepository } from './repository';

/** Two events of one pipeline rarely race; a few optimistic retries settle it. */
export const MAX_SAVE_ATTEMPTS = 5;

export interface Recorded {
  readonly metrics: readonly DeliveryMetric[];
  /** The event had been applied before (EventBridge delivers at least once): nothing to emit. */
  readonly duplicate: boolean;
}

/** Applies the event to the pipeline's stored history exactly once and returns what to emit. */
export async function recordEvent(
  repository: DeliveryMetricsRepository,
  event: PipelineExecutionEvent,
  now: () => number = Date.now
): Promise<Recorded> {
  for (let attempt = 1; attempt <= MAX_SAVE_ATTEMPTS; attempt++) {
    const { history, version } = await repository.load(event.pipeline);
    const applied = applyEvent(history, event);
    const outcome = await repository.save(event.pipeline, applied.history, version, event.eventId, now());
    if (outcome === 'saved') return { metrics: applied.metrics, duplicate: false };
    if (outcome === 'duplicate') return { metrics: [], duplicate: true };
  }
  throw new Error(
    `The history of pipeline ${event.pipeline} kept changing: event ${event.eventId} not applied after ${MAX_SAVE_ATTEMPTS} attempts`
  );
}
