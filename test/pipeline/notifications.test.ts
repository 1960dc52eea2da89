import { Capture, Match } from 'aws-cdk-lib/assertions';
import { loadPipelineConfig } from '../../lib/config';
import { PIPELINE_TOPIC_DISPLAY_NAME } from '../../lib/pipeline/pipeline-notifications';
import { testApp } from '../support/app';
import { pipelineTemplate, type TemplateValue } from '../support/templates';

/**
 * The pipeline's notifications (approval needed, execution failed or succeeded → an encrypted SNS
 * topic → e-mail), read from the PipelineStack's template the jest global setup synthesized.
 */
const pipelineConfig = loadPipelineConfig(testApp().node);
const template = pipelineTemplate();
const CODESTAR_NOTIFICATIONS = { Service: 'codestar-notifications.amazonaws.com' };

/** The logical id of the template's one resource of this type that matches the properties. */
function logicalIdOf(type: string, properties: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: properties }));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

const pipelineId = logicalIdOf('AWS::CodePipeline::Pipeline');
const topicId = logicalIdOf('AWS::SNS::Topic', { DisplayName: PIPELINE_TOPIC_DISPLAY_NAME });
const topicPolicyId = logicalIdOf('AWS::SNS::TopicPolicy', { Topics: [{ Ref: topicId }] });

describe('notification rule', () => {
  test('sends approval needed, execution failed and execution succeeded, with full details', () => {
    template.resourceCountIs('AWS::CodeStarNotifications::NotificationRule', 1);
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      EventTypeIds: Match.arrayEquals([
        'codepipeline-pipeline-manual-approval-needed',
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-pipeline-execution-succeeded',
      ]),
      DetailType: 'FULL',
    });
  });

  test('watches this pipeline', () => {
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      Resource: {
        'Fn::Join': [
          '',
          [`arn:aws:codepipeline:${pipelineConfig.region}:${pipelineConfig.account}:`, { Ref: pipelineId }],
        ],
      },
    });
  });

  test('targets the topic, and is created after the topic policy that lets it publish', () => {
    template.hasResource('AWS::CodeStarNotifications::NotificationRule', {
      Properties: { Targets: [{ TargetType: 'SNS', TargetAddress: { Ref: topicId } }] },
      DependsOn: Match.arrayWith([topicPolicyId]),
    });
  });
});

describe('topic', () => {
  const key = new Capture();
  template.hasResourceProperties('AWS::SNS::Topic', {
    DisplayName: PIPELINE_TOPIC_DISPLAY_NAME,
    KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
  });
  const keyId = key.asString();
  const isForNotifications = (statement: TemplateValue) =>
    JSON.stringify(statement.Principal) === JSON.stringify(CODESTAR_NOTIFICATIONS);

  test('is encrypted with its own customer-managed key, which rotates', () => {
    expect(template.findResources('AWS::KMS::Key')[keyId]?.Properties.EnableKeyRotation).toBe(true);
  });

  test('the key policy lets CodeStar Notifications use the key (GenerateDataKey*, Decrypt)', () => {
    const statements: TemplateValue[] =
      template.findResources('AWS::KMS::Key')[keyId]!.Properties.KeyPolicy.Statement;
    const forNotifications = statements.filter(isForNotifications);
    expect(forNotifications).toHaveLength(1);
    expect(forNotifications[0].Effect).toBe('Allow');
    expect([...forNotifications[0].Action].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  test('the topic policy lets CodeStar Notifications publish, and only it', () => {
    const statements: TemplateValue[] =
      template.findResources('AWS::SNS::TopicPolicy')[topicPolicyId]!.Properties.PolicyDocument.Statement;
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      expect.objectContaining({
        Principal: CODESTAR_NOTIFICATIONS,
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
      }),
    ]);
  });

  test('denies publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: { Ref: topicId },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('e-mails the address configured in cdk.json (context.pipeline.notificationEmail)', () => {
    const subscriptions = template.findResources('AWS::SNS::Subscription', {
      Properties: { TopicArn: { Ref: topicId } },
    });
    expect(Object.values(subscriptions).map((s): TemplateValue => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: pipelineConfig.notificationEmail, TopicArn: { Ref: topicId } },
    ]);
    expect(pipelineConfig.notificationEmail).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
  });
});
