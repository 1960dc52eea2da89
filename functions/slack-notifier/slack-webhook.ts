import { z } from 'zod';
import type { SlackMessage } from './alarm-message';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const JsonSecretSchema = z.object({ url: z.string() });

/** Slack answered the webhook POST with a non-2xx status. */
export class SlackWebhookError extends Error {
  override readonly name = 'SlackWebhookError';

  constructor(
    readonly status: number,
    responseBody: string
  ) {
    super(`Slack webhook answered HTTP ${status}: ${responseBody.slice(0, 200)}`);
  }
}

/**
 * Extracts the webhook URL from the secret's string value, which is either the URL itself or JSON
 * `{"url": "https://hooks.slack.com/services/..."}` (what a key/value secret in the console produces).
 *
 * @returns the URL, or `undefined` when the value holds no https URL (for example the random placeholder
 *   the stack creates before an operator sets the real webhook). Plain http is accepted for loopback
 *   hosts only, so local tests can stand in for Slack without the URL ever crossing a network unencrypted.
 */
export function webhookUrlFromSecret(secretString: string): string | undefined {
  let candidate = secretString.trim();
  if (candidate.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(candidate);
    } catch {
      return undefined;
    }
    const parsed = JsonSecretSchema.safeParse(json);
    if (!parsed.success) {
      return undefined;
    }
    candidate = parsed.data.url.trim();
  }

  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return undefined;
  }
  const allowed = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  return allowed ? url.href : undefined;
}

/**
 * POSTs the message to the webhook.
 *
 * @throws SlackWebhookError on a non-2xx answer, so the invocation fails and Lambda's asynchronous retries
 *   (then the function's dead-letter queue or on-failure destination) take over.
 */
export async function postToSlack(
  webhookUrl: string,
  message: SlackMessage,
  timeoutMs: number
): Promise<void> {
  const response = await fetch(webhookUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(timeoutMs),
  });
  // Always read the body: it releases the connection, and Slack explains failures in it ("invalid_payload").
  const responseBody = await response.text();
  if (!response.ok) {
    throw new SlackWebhookError(response.status, responseBody);
  }
}
