import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENT_NAMES, loadEnvironments, METRIC_NAMESPACES, SERVICE_NAMES } from '../../lib/config';
import { ALARM_TOPIC_DISPLAY_NAME } from '../../lib/constructs/alarm-notifications';
import { testApp } from '../support/app';
import { stageManifest, stageTemplate } from '../support/templates';

// Templates only: read from the assembly the global setup synthesized for this run.
const configs = loadEnvironments(testApp().node);
const dev = stageTemplate('dev', 'Monitoring');
const prod = stageTemplate('prod', 'Monitoring');
const monitoringOf = (env: (typeof ENVIRONMENT_NAMES)[number]) => stageTemplate(env, 'Monitoring');
const devApi = stageTemplate('dev', 'ServerlessApi');

/** The API stack's functions (ServerlessApiStack.functions), by the names the alarms carry. */
const apiFunctionNames = ['users', 'products', 'orders', 'authorizer', 'orderEvents'];

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(
    ([, r]) => r.Type === type
  );
}

/** The one resource of a type whose logical id starts with the construct id. */
function resource(template: Template, type: string, idPrefix: string): Resource {
  const found = resourcesOfType(template, type).filter(([id]) => id.startsWith(idPrefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${idPrefix}*, found ${found.length}`);
  return found[0]![1];
}

function logicalId(template: Template, type: string, idPrefix: string): string {
  const found = resourcesOfType(template, type).find(([id]) => id.startsWith(idPrefix));
  if (!found) throw new Error(`no ${type} ${idPrefix}*`);
  return found[0];
}

/** Name of the output the producer publishes for a weak cross-stack reference. */
function stackOutputName(value: unknown): string {
  const ref = (value as { 'Fn::GetStackOutput'?: { OutputName: string } })['Fn::GetStackOutput'];
  if (!ref) throw new Error(`not a cross-stack reference: ${JSON.stringify(value)}`);
  return ref.OutputName;
}

/** Logical id of an API function in the ServerlessApi stack (`users` -> UsersFunction...). */
const apiLogicalId = (name: string) =>
  logicalId(devApi, 'AWS::Lambda::Function', `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`);
const restApiName = resourcesOfType(devApi, 'AWS::ApiGateway::RestApi')[0]![1].Properties.Name;

const topicId = logicalId(dev, 'AWS::SNS::Topic', 'AlarmTopic');
const topicKeyId = logicalId(dev, 'AWS::KMS::Key', 'AlarmTopicKey');
const dlqId = logicalId(dev, 'AWS::SQS::Queue', 'AlarmNotificationDeadLetterQueue');
const secretId = logicalId(dev, 'AWS::SecretsManager::Secret', 'SlackWebhookSecret');
const notifierId = logicalId(dev, 'AWS::Lambda::Function', 'SlackNotifierFunction');

describe('alarm topic', () => {
  test('is "System Alarms" with a generated name, encrypted with its own rotating key', () => {
    dev.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: ALARM_TOPIC_DISPLAY_NAME,
      TopicName: Match.absent(),
      KmsMasterKeyId: { 'Fn::GetAtt': [topicKeyId, 'Arn'] },
    });
    expect(ALARM_TOPIC_DISPLAY_NAME).toBe('System Alarms');
    dev.resourceCountIs('AWS::SNS::Topic', 1);
    dev.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('its key lets CloudWatch alarms encrypt (alias/aws/sns would not)', () => {
    dev.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  test("refuses publishing without TLS and lets only this account's alarms publish", () => {
    dev.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${configs.dev.account}:alarm:*` },
              StringEquals: { 'aws:SourceAccount': configs.dev.account },
            },
          }),
        ]),
      },
    });
  });

  test.each(ENVIRONMENT_NAMES)('e-mails the alarm address configured for %s', (env) => {
    const template = monitoringOf(env);
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: configs[env].alarmEmail,
      TopicArn: { Ref: topicId },
    });
  });

  test('prod retains the key and dev deletes it', () => {
    expect(resource(prod, 'AWS::KMS::Key', 'AlarmTopicKey').DeletionPolicy).toBe('Retain');
    expect(resource(dev, 'AWS::KMS::Key', 'AlarmTopicKey').DeletionPolicy).toBe('Delete');
  });
});

describe('Slack notifier', () => {
  test('is subscribed to the topic with a dead-letter queue', () => {
    dev.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [notifierId, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
    });
    dev.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: topicId },
    });
  });

  test('invocations that still fail after 2 retries go to the same dead-letter queue', () => {
    dev.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: notifierId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  test('the dead-letter queue is encrypted, TLS-only, keeps messages 14 days and accepts the topic only', () => {
    expect(resource(dev, 'AWS::SQS::Queue', 'AlarmNotificationDeadLetterQueue').Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    dev.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topicId } } },
          }),
        ]),
      },
    });
  });

  test('reads the webhook URL from a generated secret it may read, named by ARN in its environment', () => {
    expect(resource(dev, 'AWS::SecretsManager::Secret', 'SlackWebhookSecret').Properties).toMatchObject({
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 32 },
    });
    expect(
      resource(dev, 'AWS::SecretsManager::Secret', 'SlackWebhookSecret').Properties.SecretString
    ).toBeUndefined();
    dev.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SLACK_WEBHOOK_SECRET_ARN: { Ref: secretId },
          POWERTOOLS_SERVICE_NAME: 'slack-notifier',
          SLACK_WEBHOOK_URL: Match.absent(),
        }),
      },
    });
    const notifierRole = (
      resource(dev, 'AWS::Lambda::Function', 'SlackNotifierFunction').Properties.Role as {
        'Fn::GetAtt': [string, string];
      }
    )['Fn::GetAtt'][0];
    dev.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: notifierRole }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: secretId },
          },
        ]),
      },
    });
  });

  test('no webhook URL appears in any template', () => {
    for (const env of ENVIRONMENT_NAMES) {
      expect(JSON.stringify(monitoringOf(env).toJSON())).not.toMatch(/hooks\.slack\.com/);
    }
  });

  test('prod retains the secret (the operator set its value)', () => {
    expect(resource(prod, 'AWS::SecretsManager::Secret', 'SlackWebhookSecret').DeletionPolicy).toBe('Retain');
  });

  test('names the secret in an output, for the operator who sets the URL', () => {
    dev.hasOutput('SlackWebhookSecretArn', { Value: { Ref: secretId } });
  });
});

describe('metrics publisher', () => {
  test('publishes under its own Powertools service name', () => {
    dev.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('business metrics'),
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.businessMetrics }),
      },
    });
  });

  test('has no cloudwatch:PutMetricData permission anywhere in the stack (it writes EMF to stdout)', () => {
    for (const env of ENVIRONMENT_NAMES) {
      const text = JSON.stringify(monitoringOf(env).toJSON());
      expect(text).not.toMatch(/cloudwatch:PutMetricData/i);
      expect(text).not.toMatch(/"cloudwatch:\*"/);
    }
  });
});

/** The dashboard body with every intrinsic replaced by `<logicalId>` / `<Attr of logicalId>` / `<output>`. */
function dashboardBody(template: Template): { widgets: Widget[] } {
  const body = resource(template, 'AWS::CloudWatch::Dashboard', 'SystemDashboard').Properties
    .DashboardBody as {
    'Fn::Join': [string, unknown[]];
  };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as Record<string, unknown>;
      if ('Ref' in p) return `<${String(p.Ref)}>`;
      if ('Fn::GetAtt' in p) return `<${(p['Fn::GetAtt'] as string[]).join('.')}>`;
      if ('Fn::GetStackOutput' in p) return `<${stackOutputName(p)}>`;
      throw new Error(`unexpected intrinsic in the dashboard body: ${JSON.stringify(part)}`);
    })
    .join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

interface Widget {
  type: 'metric' | 'text' | 'alarm';
  properties: { title?: string; markdown?: string; alarms?: string[]; metrics?: unknown[][] };
}

describe('dashboard', () => {
  const { widgets } = dashboardBody(dev);
  const graphs = widgets.filter((w) => w.type === 'metric');
  const graph = (title: string) => {
    const found = graphs.find((w) => w.properties.title === title);
    if (!found)
      throw new Error(`no graph "${title}"; graphs: ${graphs.map((w) => w.properties.title).join(', ')}`);
    return found.properties.metrics!;
  };
  /** A metric line as [namespace, name, ...dimension pairs] (the trailing options object dropped). */
  const lines = (title: string) => graph(title).map((line) => line.filter((x) => typeof x === 'string'));

  test.each(ENVIRONMENT_NAMES)('is named %s-system-overview', (env) => {
    monitoringOf(env).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: `${env}-system-overview`,
    });
  });

  test('groups its widgets: alarms, API Gateway, Lambda, data stores, order events, business metrics', () => {
    expect(widgets[0]!.type).toBe('alarm');
    expect(widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown)).toEqual([
      '## API Gateway',
      '## Lambda functions',
      '## Data stores',
      '## Order events queue',
      '## Business metrics',
    ]);
  });

  test('shows every alarm of the stack', () => {
    const alarmIds = resourcesOfType(dev, 'AWS::CloudWatch::Alarm').map(([id]) => `<${id}.Arn>`);
    expect(widgets[0]!.properties.alarms).toEqual(expect.arrayContaining(alarmIds));
    expect(widgets[0]!.properties.alarms).toHaveLength(alarmIds.length);
  });

  test('graphs API Gateway requests, latency, 4XX and 5XX', () => {
    const api = ['ApiName', restApiName];
    expect(lines('API Gateway Requests')).toEqual([['AWS/ApiGateway', 'Count', ...api]]);
    expect(lines('API Gateway Latency')).toEqual([
      ['AWS/ApiGateway', 'Latency', ...api],
      ['AWS/ApiGateway', 'Latency', ...api],
    ]);
    expect(lines('API Gateway Errors')).toEqual([
      ['AWS/ApiGateway', '4XXError', ...api],
      ['AWS/ApiGateway', '5XXError', ...api],
    ]);
  });

  test.each(apiFunctionNames)('graphs invocations, duration and errors of the %s function', (name) => {
    const dimension = (line: string[]) => line[3] ?? '';
    for (const [metric, title] of [
      ['Invocations', `Lambda ${name} - Invocations`],
      ['Duration', `Lambda ${name} - Duration`],
      ['Errors', `Lambda ${name} - Errors`],
    ] as const) {
      const metricLines = lines(title);
      expect(metricLines.length).toBeGreaterThan(0);
      for (const line of metricLines) {
        expect(line.slice(0, 3)).toEqual(['AWS/Lambda', metric, 'FunctionName']);
        expect(dimension(line)).toContain(apiLogicalId(name));
      }
    }
  });

  test('graphs RDS CPU and connections of the primary, and DynamoDB throttles', () => {
    expect(lines('RDS CPU Utilization')).toEqual([
      [
        'AWS/RDS',
        'CPUUtilization',
        'DBInstanceIdentifier',
        expect.stringMatching(/^<PublishOutputRefPrimaryDatabase/),
      ],
    ]);
    expect(lines('RDS Connections')).toEqual([
      ['AWS/RDS', 'DatabaseConnections', 'DBInstanceIdentifier', expect.stringMatching(/PrimaryDatabase/)],
    ]);
    const throttles = lines('DynamoDB Throttled Requests').filter((line) => line[1] === 'ThrottledRequests');
    expect(throttles.length).toBeGreaterThan(1);
    for (const line of throttles) {
      expect(line).toEqual([
        'AWS/DynamoDB',
        'ThrottledRequests',
        'Operation',
        expect.any(String),
        'TableName',
        expect.stringMatching(/ApiDataTable/),
      ]);
    }
    // The visible line is the sum over the operations.
    expect(JSON.stringify(graph('DynamoDB Throttled Requests'))).toMatch(/"expression":"[\w+ ]+"/);
  });

  test('graphs Redis engine CPU and memory of both nodes of the replication group', () => {
    for (const [title, metric] of [
      ['Redis Engine CPU Utilization', 'EngineCPUUtilization'],
      ['Redis Memory Usage', 'DatabaseMemoryUsagePercentage'],
    ] as const) {
      expect(lines(title)).toEqual([
        [
          'AWS/ElastiCache',
          metric,
          'CacheClusterId',
          expect.stringMatching(/^<PublishOutputRefRedisCluster\w+>-001$/),
        ],
        [
          'AWS/ElastiCache',
          metric,
          'CacheClusterId',
          expect.stringMatching(/^<PublishOutputRefRedisCluster\w+>-002$/),
        ],
      ]);
    }
  });

  test('graphs the order-events queue: age of the oldest message and depth of queue and DLQ', () => {
    expect(lines('Order Events - Age of Oldest Message')).toEqual([
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', expect.stringMatching(/OrderEventsQueue/)],
    ]);
    expect(lines('Order Events - Visible Messages')).toEqual([
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        expect.stringMatching(/OrderEventsQueue/),
      ],
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        expect.stringMatching(/OrderEventsDeadLetterQueue/),
      ],
    ]);
  });

  test('graphs the business metrics NewRegistrations and OrderValue by Powertools service', () => {
    expect(lines('New Registrations')).toEqual([
      [METRIC_NAMESPACES.users, 'NewRegistrations', 'service', SERVICE_NAMES.api],
      [METRIC_NAMESPACES.users, 'NewRegistrations', 'service', SERVICE_NAMES.businessMetrics],
    ]);
    expect(lines('Order Value')).toEqual([
      [METRIC_NAMESPACES.orders, 'OrderValue', 'service', SERVICE_NAMES.api],
      [METRIC_NAMESPACES.orders, 'OrderValue', 'service', SERVICE_NAMES.businessMetrics],
    ]);
  });
});

describe('alarms', () => {
  const alarm = (template: Template, name: string) => {
    const found = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties.AlarmName === name
    );
    if (found.length !== 1) throw new Error(`expected one alarm ${name}, found ${found.length}`);
    return found[0]![1].Properties;
  };
  const dimensionOutput = (props: Record<string, unknown>) =>
    stackOutputName((props.Dimensions as { Value: unknown }[])[0]!.Value);

  test('API-High-Latency: average latency > 5000 ms in 2 of 2 five-minute periods, missing data fine', () => {
    expect(alarm(dev, 'dev-API-High-Latency')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: [{ Name: 'ApiName', Value: restApiName }],
      Statistic: 'Average',
      Period: 300,
      Threshold: 5000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  test('API-5XX-Errors: at least 5 5XX responses in 2 of 2 five-minute periods', () => {
    expect(alarm(dev, 'dev-API-5XX-Errors')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: restApiName }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  test.each(apiFunctionNames.filter((name) => name !== 'authorizer'))(
    'Lambda-%s-Errors: at least 5 errors in 2 of 2 five-minute periods',
    (name) => {
      const props = alarm(dev, `dev-Lambda-${name}-Errors`);
      expect(props).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
      });
      expect(dimensionOutput(props)).toContain(apiLogicalId(name));
    }
  );

  test('Lambda-authorizer-Errors: at least 5 UnexpectedFailures of the authorizer (not Lambda Errors, which refusals no longer are) in 2 of 2 five-minute periods', () => {
    expect(alarm(dev, 'dev-Lambda-authorizer-Errors')).toMatchObject({
      Namespace: METRIC_NAMESPACES.authorizer,
      MetricName: 'UnexpectedFailures',
      Dimensions: [{ Name: 'service', Value: SERVICE_NAMES.api }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  test('RDS-High-CPU: primary CPU > 80 % in 2 of 2 five-minute periods', () => {
    const props = alarm(dev, 'dev-RDS-High-CPU');
    expect(props).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'DBInstanceIdentifier' }],
      Statistic: 'Average',
      Period: 300,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'missing',
    });
    expect(dimensionOutput(props)).toMatch(/PrimaryDatabase/);
  });

  test.each([
    ['dev-OrderEvents-DLQ-Not-Empty', /OrderEventsDeadLetterQueue/],
    ['dev-AlarmNotifications-DLQ-Not-Empty', null],
  ])('%s: any visible message, keeping its state while SQS reports nothing', (name, queueOutput) => {
    const props = alarm(dev, name);
    expect(props).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName' }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'ignore',
    });
    const queue = (props.Dimensions as { Value: unknown }[])[0]!.Value;
    if (queueOutput) expect(stackOutputName(queue)).toMatch(queueOutput);
    else expect(queue).toEqual({ 'Fn::GetAtt': [dlqId, 'QueueName'] });
  });

  test.each(ENVIRONMENT_NAMES)(
    'every %s alarm notifies the topic on ALARM and on OK, named after the environment',
    (env) => {
      const template = monitoringOf(env);
      const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
      // The six: latency, 5XX, RDS CPU, the two DLQs and the API canary; + blocked requests where the API
      // has a web ACL.
      expect(alarms).toHaveLength(apiFunctionNames.length + 6 + (configs[env].waf ? 1 : 0));
      for (const [, { Properties: props }] of alarms) {
        expect(props.AlarmName).toMatch(new RegExp(`^${env}-`));
        expect(props.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(props.OKActions).toEqual([{ Ref: topicId }]);
      }
    }
  );
});

test('takes the API, database and queue objects from their stacks (weak references, no typed ARNs)', () => {
  const artifacts = stageManifest('dev').artifacts ?? {};
  const idOf = (stack: string) => {
    const found = Object.entries(artifacts).find(([, a]) => a.displayName?.endsWith(`/${stack}`));
    if (!found) throw new Error(`no artifact of ${stack}`);
    return found[0];
  };
  expect(artifacts[idOf('Monitoring')]?.dependencies).toEqual(
    expect.arrayContaining([idOf('ServerlessApi'), idOf('Database')])
  );
  expect(JSON.stringify(dev.toJSON())).not.toMatch(/arn:aws:(lambda|rds|sqs|dynamodb|elasticache):/);
});
