import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { METRIC_NAMESPACES, SERVICE_NAMES } from '../../lib/config';
import { SystemDashboard, type SystemDashboardProps } from '../../lib/constructs/system-dashboard';

function build(overrides: Partial<SystemDashboardProps> = {}) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addMethod('GET');
  const metric = new cloudwatch.Metric({ namespace: 'Test', metricName: 'M' });
  new SystemDashboard(stack, 'Dashboard', {
    environmentName: 'test',
    alarms: [new cloudwatch.Alarm(stack, 'Alarm', { metric, threshold: 1, evaluationPeriods: 1 })],
    api,
    functions: { users: lambda.Function.fromFunctionName(stack, 'Users', 'users-function') },
    database: rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
      instanceIdentifier: 'db',
      instanceEndpointAddress: 'db.example.com',
      port: 5432,
      securityGroups: [],
    }),
    table: dynamodb.Table.fromTableName(stack, 'Table', 'table'),
    orderEventsQueue: new sqs.Queue(stack, 'Queue'),
    orderEventsDeadLetterQueue: new sqs.Queue(stack, 'Dlq'),
    redisReplicationGroupId: 'redis',
    canarySuccessPercent: metric,
    ...overrides,
  });
  const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  // The body is a Fn::Join of strings and tokens: the tests read its text.
  const body = JSON.stringify(stack.resolve(dashboard?.Properties.DashboardBody));
  return { dashboard, body };
}

describe('SystemDashboard', () => {
  const { dashboard, body } = build();

  test('is named <env>-system-overview', () => {
    expect(dashboard?.Properties.DashboardName).toBe('test-system-overview');
  });

  test('shows the alarms first, then one section per part of the system', () => {
    expect(body.indexOf('\\"type\\":\\"alarm\\"')).toBeGreaterThan(-1);
    const headings = [...body.matchAll(/## ([\w ]+)/g)].map((m) => m[1]);
    expect(headings).toEqual([
      'API Gateway',
      'Lambda functions',
      'Data stores',
      'Order events queue',
      'Business metrics',
    ]);
  });

  test('graphs each Redis node, numbered like ElastiCache numbers them', () => {
    expect(body).toContain('redis-001');
    expect(body).toContain('redis-002');
    expect(body).not.toContain('redis-003');
    expect(build({ redisNodeCount: 3 }).body).toContain('redis-003');
  });

  test('graphs the business metrics of the API and of the metrics publisher', () => {
    expect(body).toContain(METRIC_NAMESPACES.users);
    expect(body).toContain(METRIC_NAMESPACES.orders);
    expect(body).toContain(`\\"service\\",\\"${SERVICE_NAMES.api}\\"`);
    expect(body).toContain(`\\"service\\",\\"${SERVICE_NAMES.businessMetrics}\\"`);
  });

  test('graphs the web ACL only where there is one', () => {
    expect(body).not.toContain('AWS/WAFV2');
    expect(build({ wafWebAclName: 'acl' }).body).toContain('API WAF - Allowed and Blocked Requests');
  });

  test.each([0, -1, 1.5])('throws when redisNodeCount is %s', (redisNodeCount) => {
    expect(() => build({ redisNodeCount })).toThrow(
      `redisNodeCount must be a positive integer, got ${redisNodeCount}`
    );
  });
});
