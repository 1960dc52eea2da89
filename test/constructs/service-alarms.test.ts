import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  authorizerUnexpectedFailures,
  ServiceAlarms,
  type ServiceAlarmsProps,
  WAF_BLOCKED_REQUESTS_THRESHOLD,
} from '../../lib/constructs/service-alarms';

function build(overrides: Partial<ServiceAlarmsProps> = {}) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addMethod('GET');
  const fn = (id: string) => lambda.Function.fromFunctionName(stack, id, `${id.toLowerCase()}-function`);
  const topic = new sns.Topic(stack, 'Topic');
  const alarms = new ServiceAlarms(stack, 'Alarms', {
    environmentName: 'test',
    alarmAction: new cloudwatchActions.SnsAction(topic),
    api,
    functions: { users: fn('Users'), orders: fn('Orders') },
    database: rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
      instanceIdentifier: 'db',
      instanceEndpointAddress: 'db.example.com',
      port: 5432,
      securityGroups: [],
    }),
    orderEventsDeadLetterQueue: new sqs.Queue(stack, 'OrderDlq'),
    notificationDeadLetterQueue: new sqs.Queue(stack, 'NotificationDlq'),
    canarySuccessPercent: new cloudwatch.Metric({
      namespace: 'CloudWatchSynthetics',
      metricName: 'SuccessPercent',
    }),
    canarySuccessPercentThreshold: 90,
    ...overrides,
  });
  return { stack, alarms, template: Template.fromStack(stack), topic };
}

describe('ServiceAlarms', () => {
  const { stack, alarms, template } = build();

  test('names every alarm after the environment and notifies the action on ALARM and OK', () => {
    const found = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(found)).toHaveLength(alarms.all.length);
    for (const alarm of Object.values(found)) {
      expect(alarm.Properties).toMatchObject({
        AlarmName: expect.stringMatching(/^test-/) as unknown,
        AlarmActions: [{ Ref: expect.stringMatching(/^Topic/) as unknown }],
        OKActions: [{ Ref: expect.stringMatching(/^Topic/) as unknown }],
      });
    }
  });

  test('exposes each alarm as a typed property, one errors alarm per function', () => {
    expect(Object.keys(alarms.functionErrors).sort()).toEqual(['orders', 'users']);
    for (const alarm of [
      alarms.apiHighLatency,
      alarms.api5xxErrors,
      alarms.databaseHighCpu,
      alarms.orderEventsDlq,
      alarms.notificationDlq,
      alarms.apiCanary,
      ...Object.values(alarms.functionErrors),
    ]) {
      expect(alarms.all).toContain(alarm);
      expect(Stack.of(alarm)).toBe(stack);
    }
  });

  test('the canary alarm fires below the threshold and treats missing runs as breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-API-Canary',
      Threshold: 90,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('has no blocked-requests alarm without a web ACL', () => {
    expect(alarms.apiWafBlockedRequests).toBeUndefined();
  });

  test('alarms on the web ACL blocked requests over all rules in this region', () => {
    const withWaf = build({ wafWebAclName: 'acl' });
    expect(withWaf.alarms.all).toContain(withWaf.alarms.apiWafBlockedRequests);
    const [alarm] = Object.values(
      withWaf.template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: 'test-API-WAF-Blocked-Requests' },
      })
    );
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/WAFV2',
      MetricName: 'BlockedRequests',
      Threshold: WAF_BLOCKED_REQUESTS_THRESHOLD,
    });
    expect(alarm?.Properties.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'WebACL', Value: 'acl' },
        { Name: 'Region', Value: 'eu-west-1' },
        { Name: 'Rule', Value: 'ALL' },
      ])
    );
  });

  test("an errors alarm sums the function's own failure metric over 5 minutes where given one", () => {
    const { template: withMetric } = build({
      errorsMetrics: { orders: authorizerUnexpectedFailures(Duration.minutes(1)) },
    });
    withMetric.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-Lambda-orders-Errors',
      Namespace: 'MyApp/Authorizer',
      MetricName: 'UnexpectedFailures',
      Dimensions: [{ Name: 'service', Value: 'api-service' }],
      Statistic: 'Sum',
      Period: 300,
    });
    withMetric.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'test-Lambda-users-Errors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
    });
  });

  test('keeps the errors alarm logical id when the metric changes', () => {
    const ids = (t: Template) =>
      Object.entries(t.findResources('AWS::CloudWatch::Alarm')).map(
        ([id, r]) => `${id}=${(r.Properties as { AlarmName: string }).AlarmName}`
      );
    const { template: withMetric } = build({ errorsMetrics: { orders: authorizerUnexpectedFailures() } });
    expect(ids(withMetric).sort()).toEqual(ids(template).sort());
  });

  test('throws when errorsMetrics names a function it does not monitor', () => {
    expect(() => build({ errorsMetrics: { authorizer: authorizerUnexpectedFailures() } })).toThrow(
      'errorsMetrics names authorizer, which is not one of functions'
    );
  });

  test('throws when given no function to monitor', () => {
    expect(() => build({ functions: {} })).toThrow(
      'functions must name at least one function to monitor, got none'
    );
  });

  test.each([0, 101, Number.NaN])('throws when the canary threshold is %s', (threshold) => {
    expect(() => build({ canarySuccessPercentThreshold: threshold })).toThrow(
      /canarySuccessPercentThreshold must be in \(0, 100\]/
    );
  });
});
