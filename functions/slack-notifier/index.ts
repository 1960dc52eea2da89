/**
 * Forwards CloudWatch alarm notifications from the alarm SNS topic to a Slack incoming webhook.
 *
 * Environment:
 * - `SLACK_WEBHOOK_SECRET_ARN`: Secrets Manager secret whose string value is the webhook URL, either
 *   plain (`https://hooks.slack.com/services/...`) or JSON `{"url": "https://hooks.slack.com/..."}`.
 *
 * The URL is a credential, so it lives in Secrets Manager rather than an environment variable, and it is
 * never logged.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SNSEvent } from 'aws-lambda';
import { parseAlarmMessage, toSlackMessage } from './alarm-message';
import { postToSlack, webhookUrlFromSecret } from './slack-webhook';

/** Well inside the function timeout, so a hung Slack fails this attempt and Lambda's async retry runs. */
const SLACK_TIMEOUT_MS = 5_000;

const logger = new Logger();
const secretsManager = new SecretsManagerClient({});

const secretArn = requireEnv('SLACK_WEBHOOK_SECRET_ARN');

/**
 * Fetched once per container. Only a valid URL is cached, so a warm container picks up the real one as
 * soon as an operator sets it.
 */
let cachedWebhookUrl: string | undefined;

async function webhookUrl(): Promise<string> {
  if (cachedWebhookUrl === undefined) {
    const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const url = webhookUrlFromSecret(secret.SecretString ?? '');
    if (url === undefined) {
      const message =
        `Slack webhook secret ${secretArn} does not hold an https URL; set it with aws secretsmanager ` +
        `put-secret-value --secret-id ${secretArn} --secret-string 'https://hooks.slack.com/services/...'`;
      logger.error(message);
      throw new Error(message);
    }
    cachedWebhookUrl = url;
  }
  return cachedWebhookUrl;
}

export interface NotificationSummary {
  posted: number;
  /** SNS messages that were not CloudWatch alarm notifications: logged and skipped, nothing posted. */
  malformedAlarmMessages: number;
}

export const handler = async (event: SNSEvent, context: Context): Promise<NotificationSummary> => {
  logger.addContext(context);
  const summary: NotificationSummary = { posted: 0, malformedAlarmMessages: 0 };

  for (const { Sns: notification } of event.Records) {
    const parsed = parseAlarmMessage(notification.Message);
    if (!parsed.ok) {
      // Retrying cannot fix a malformed message, so it is reported instead of failing the delivery.
      summary.malformedAlarmMessages++;
      logger.error('Skipped SNS message: not a CloudWatch alarm notification', {
        snsMessageId: notification.MessageId,
        topicArn: notification.TopicArn,
        reason: parsed.reason,
        message: notification.Message.slice(0, 1_000),
      });
      continue;
    }

    const { alarm } = parsed;
    const url = await webhookUrl();
    try {
      await postToSlack(url, toSlackMessage(alarm, notification.Timestamp), SLACK_TIMEOUT_MS);
    } catch (error) {
      // The webhook may have been revoked and the secret rotated: refetch it on the retry.
      cachedWebhookUrl = undefined;
      throw error;
    }
    summary.posted++;
    logger.info('Posted alarm to Slack', { alarmName: alarm.AlarmName, state: alarm.NewStateValue });
  }

  return summary;
};

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} environment variable is not set`);
  }
  return value;
}
