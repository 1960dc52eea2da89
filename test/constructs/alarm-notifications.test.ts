import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SERVICE_NAMES } from '../../lib/config';
import {
  ALARM_TOPIC_DISPLAY_NAME,
  AlarmNotifications,
  type AlarmNotificationsProps,
  SLACK_NOTIFIER_RETRY_ATTEMPTS,
} from '../../lib/constructs/alarm-notifications';

function build(overrides: Partial<AlarmNotificationsProps> = {}) {
  // No Lambda bundling: the tests read the template, not the code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const removalPolicy = overrides.removalPolicy ?? RemovalPolicy.DESTROY;
  const notifications = new AlarmNotifications(stack, 'Notifications', {
    environmentName: 'test',
    alarmEmail: 'alarms@example.com',
    removalPolicy,
    functionConfig: {
      name: 'test',
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy,
      logLevel: 'INFO',
    },
    ...overrides,
  });
  return { stack, notifications, template: Template.fromStack(stack) };
}

describe('AlarmNotifications', () => {
  const { stack, notifications, template } = build();
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.resolve((construct.node.defaultChild as { ref: string }).ref) as { Ref: string };
  const topicRef = id(notifications.topic);

  test('is one "System Alarms" topic, encrypted with its own rotating key', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: ALARM_TOPIC_DISPLAY_NAME,
      TopicName: Match.absent(),
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test("lets only this account's CloudWatch alarms publish", () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:111111111111:alarm:*'],
                  ],
                },
              },
              StringEquals: { 'aws:SourceAccount': '111111111111' },
            },
          }),
        ]),
      },
    });
  });

  test('e-mails the alarm address and sends failed deliveries to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'alarms@example.com',
      TopicArn: topicRef,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
  });

  test('forwards to the Slack notifier, whose failed invocations go to the same queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: topicRef });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'sns.amazonaws.com',
      SourceArn: topicRef,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: SLACK_NOTIFIER_RETRY_ATTEMPTS,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.slackNotifier,
          SLACK_WEBHOOK_SECRET_ARN: id(notifications.slackWebhookSecret),
        }),
      },
    });
  });

  test('outputs the webhook secret ARN for the operator', () => {
    expect(Object.values(template.findOutputs('*'))).toEqual([
      expect.objectContaining({ Value: id(notifications.slackWebhookSecret) }),
    ]);
  });

  test('retains the key, the queue and the secret when asked to', () => {
    const retained = build({ removalPolicy: RemovalPolicy.RETAIN }).template;
    for (const type of ['AWS::KMS::Key', 'AWS::SQS::Queue', 'AWS::SecretsManager::Secret']) {
      retained.hasResource(type, { DeletionPolicy: 'Retain' });
    }
  });

  test.each(['', 'not-an-address', 'a@b'])('throws when the alarm e-mail is %j', (alarmEmail) => {
    expect(() => build({ alarmEmail })).toThrow(`alarmEmail must be an e-mail address, got '${alarmEmail}'`);
  });

  test('its key allows KMS grants only for AWS resources (CT.KMS.PR.3)', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyGrantsExceptForAwsResources',
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
        ]),
      },
    });
  });
});
