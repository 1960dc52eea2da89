import { z } from 'zod';

/**
 * The fields of a CloudWatch alarm state-change notification (metric or composite alarm) that the
 * Slack message shows. CloudWatch sends more (Trigger, AWSAccountId, OldStateValue, ...); zod strips them.
 */
export const AlarmMessageSchema = z.object({
  AlarmName: z.string().min(1),
  NewStateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  NewStateReason: z.string(),
  StateChangeTime: z.string(),
});

export type AlarmMessage = z.infer<typeof AlarmMessageSchema>;

export type AlarmParseResult = { ok: true; alarm: AlarmMessage } | { ok: false; reason: string };

/** Slack incoming-webhook payload with one legacy attachment (coloured side bar). */
export interface SlackMessage {
  attachments: [{ color: 'danger' | 'good'; title: string; text: string; ts: number }];
}

/**
 * Parses an SNS message body as a CloudWatch alarm notification. Returns a result instead of throwing:
 * a malformed message is reported and skipped, it is not an invocation failure.
 */
export function parseAlarmMessage(message: string): AlarmParseResult {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, reason: 'message is not JSON' };
  }
  const parsed = AlarmMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`
    );
    return { ok: false, reason: `message is not a CloudWatch alarm notification (${issues.join('; ')})` };
  }
  return { ok: true, alarm: parsed.data };
}

/**
 * Renders the Slack message for an alarm.
 *
 * @param sentAt - ISO-8601 time SNS published the notification; Slack shows it as the attachment time.
 */
export function toSlackMessage(alarm: AlarmMessage, sentAt: string): SlackMessage {
  const sentAtMs = Date.parse(sentAt);
  if (Number.isNaN(sentAtMs)) {
    throw new Error(`SNS timestamp is not an ISO-8601 date: ${JSON.stringify(sentAt)}`);
  }
  return {
    attachments: [
      {
        // Only ALARM is bad news; OK and INSUFFICIENT_DATA show as recoveries, as in the original design.
        color: alarm.NewStateValue === 'ALARM' ? 'danger' : 'good',
        title: `CloudWatch Alarm: ${alarm.AlarmName}`,
        text: `State: ${alarm.NewStateValue}\nReason: ${alarm.NewStateReason}`,
        ts: Math.floor(sentAtMs / 1000),
      },
    ],
  };
}
