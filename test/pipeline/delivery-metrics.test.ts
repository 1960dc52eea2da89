import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { type IConstruct } from 'constructs';
import { DELIVERY_METRICS_NAMESPACE, METRIC_NAMES } from '../../functions/shared/delivery-metrics/compute';
import {
  DELIVERY_METRICS_RETRY_ATTEMPTS,
  DELIVERY_METRICS_SERVICE_NAME,
  DeliveryMetrics,
} from '../../lib/pipeline/delivery-metrics';
import { testApp } from '../support/app';
import { type TemplateValue } from '../support/templates';

/**
 * The pipeline's delivery-metrics resources (lib/pipeline/delivery-metrics.ts) on their own stack,
 * for a pipeline given by ARN: the PipelineStack wiring is asserted in pipeline-stack.test.ts.
 */
const PIPELINE_NAME = 'app-delivery';
const PIPELINE_ARN = `arn:aws:codepipeline:us-east-1:444444444444:${PIPELINE_NAME}`;
const app = testApp();
const stack = new Stack(app, 'DeliveryMetricsTest', {
  env: { account: '444444444444', region: 'us-east-1' },
});
const metrics = new DeliveryMetrics(stack, 'DeliveryMetrics', {
  pipeline: codepipeline.Pipeline.fromPipelineArn(stack, 'Pipeline', PIPELINE_ARN),
  pipelineName: PIPELINE_NAME,
});
const template = Template.fromStack(stack);
const logicalId = (construct: IConstruct) =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

test('the history table: keyed PK/SK, on demand, PITR, encrypted, expiring markers, retained and protected', () => {
  template.resourceCountIs('AWS::DynamoDB::Table', 1);
  template.hasResource('AWS::DynamoDB::Table', {
    Properties: {
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
    },
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
  });
});

test("an EventBridge rule sends the pipeline's execution state changes to the function, failures to the DLQ", () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      resources: [PIPELINE_ARN],
    },
    State: 'ENABLED',
    Targets: [
      Match.objectLike({
        Arn: { 'Fn::GetAtt': [logicalId(metrics.function.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(metrics.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: DELIVERY_METRICS_RETRY_ATTEMPTS },
      }),
    ],
  });
  template.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    Principal: 'events.amazonaws.com',
    SourceArn: { 'Fn::GetAtt': [logicalId(metrics.rule), 'Arn'] },
  });
});

test('the function reads and writes the table only, and sends failed invocations to the DLQ', () => {
  template.hasResourceProperties('AWS::Lambda::Function', {
    Handler: 'index.handler',
    Environment: {
      Variables: Match.objectLike({
        TABLE_NAME: { Ref: logicalId(metrics.table) },
        POWERTOOLS_SERVICE_NAME: DELIVERY_METRICS_SERVICE_NAME,
      }),
    },
  });
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p): TemplateValue[] => p.Properties.PolicyDocument.Statement
  );
  const dynamodbStatements = statements.filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
  expect(dynamodbStatements).toHaveLength(1);
  expect(dynamodbStatements[0]!.Resource).toEqual({ 'Fn::GetAtt': [logicalId(metrics.table), 'Arn'] });
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    DestinationConfig: {
      OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(metrics.deadLetterQueue), 'Arn'] } },
    },
  });
  template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
});

test('a dashboard shows lead time, deployments and frequency, failures, MTBF and MTTR of the pipeline', () => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboard!.Properties.DashboardName).toBe(`${PIPELINE_NAME}-delivery-metrics`);
  const body = JSON.stringify(dashboard!.Properties.DashboardBody);
  for (const name of Object.values(METRIC_NAMES)) {
    expect(body).toContain(
      `[\\"${DELIVERY_METRICS_NAMESPACE}\\",\\"${name}\\",\\"pipeline\\",\\"${PIPELINE_NAME}\\",\\"service\\",\\"${DELIVERY_METRICS_SERVICE_NAME}\\"`
    );
  }
});
