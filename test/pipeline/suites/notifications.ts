import { type CfnElement, Stack } from 'aws-cdk-lib';
import { type IConstruct } from 'constructs';
import { PIPELINE_TOPIC_DISPLAY_NAME } from '../../../lib/pipeline/pipeline-notifications';
import { type PipelineFixture } from './pipeline-fixture';

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DependsOn?: string[];
}
interface Statement {
  readonly Effect: string;
  readonly Principal: unknown;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/**
 * The pipeline's notifications (approval needed, execution failed or succeeded → an encrypted SNS
 * topic → e-mail), on the PipelineStack that test/pipeline/pipeline-stack.test.ts builds once.
 */
export function describeNotifications({ stack, template, pipelineConfig }: PipelineFixture): void {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const logicalId = (construct: IConstruct) =>
    Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
  const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

  const { notifications } = stack;
  const ids = {
    pipeline: logicalId(stack.pipeline.pipeline),
    topic: logicalId(notifications.topic),
    key: logicalId(notifications.key),
    rule: logicalId(notifications.rule),
  };
  const CODESTAR_NOTIFICATIONS = { Service: 'codestar-notifications.amazonaws.com' };

  describe('notification rule', () => {
    const rule = () => {
      const rules = ofType('AWS::CodeStarNotifications::NotificationRule');
      expect(rules.map(([id]) => id)).toEqual([ids.rule]);
      return rules[0]![1];
    };

    test('sends approval needed, execution failed and execution succeeded, with full details', () => {
      expect([...(rule().Properties.EventTypeIds as string[])].sort()).toEqual([
        'codepipeline-pipeline-manual-approval-needed',
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-pipeline-execution-succeeded',
      ]);
      expect(rule().Properties.DetailType).toBe('FULL');
    });

    test('watches this pipeline', () => {
      expect(JSON.stringify(rule().Properties.Resource)).toContain(JSON.stringify({ Ref: ids.pipeline }));
      expect(JSON.stringify(rule().Properties.Resource)).toContain(
        `arn:aws:codepipeline:${pipelineConfig.region}:${pipelineConfig.account}:`
      );
    });

    test('targets the topic, and is created after the topic policy that lets it publish', () => {
      expect(rule().Properties.Targets).toEqual([{ TargetType: 'SNS', TargetAddress: { Ref: ids.topic } }]);
      const [policyId] = ofType('AWS::SNS::TopicPolicy').find(([, p]) =>
        JSON.stringify(p.Properties.Topics).includes(JSON.stringify({ Ref: ids.topic }))
      )!;
      expect(rule().DependsOn).toContain(policyId);
    });
  });

  describe('topic', () => {
    const policy = () => {
      const policies = ofType('AWS::SNS::TopicPolicy').filter(([, p]) =>
        JSON.stringify(p.Properties.Topics).includes(JSON.stringify({ Ref: ids.topic }))
      );
      expect(policies).toHaveLength(1);
      return (policies[0]![1].Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    };

    test('is encrypted with its own customer-managed key, which rotates', () => {
      expect(resources[ids.topic]!.Properties).toMatchObject({
        DisplayName: PIPELINE_TOPIC_DISPLAY_NAME,
        KmsMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
      });
      expect(resources[ids.key]!.Properties.EnableKeyRotation).toBe(true);
    });

    test('the key policy lets CodeStar Notifications use the key (GenerateDataKey*, Decrypt)', () => {
      const statements = (resources[ids.key]!.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
      const forNotifications = statements.filter(
        (s) => JSON.stringify(s.Principal) === JSON.stringify(CODESTAR_NOTIFICATIONS)
      );
      expect(forNotifications).toHaveLength(1);
      expect(forNotifications[0]!.Effect).toBe('Allow');
      expect([...actionsOf(forNotifications[0]!)].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    });

    test('the topic policy lets CodeStar Notifications publish, and only it', () => {
      const allows = policy().filter((s) => s.Effect === 'Allow');
      expect(allows).toEqual([
        expect.objectContaining({
          Principal: CODESTAR_NOTIFICATIONS,
          Action: 'sns:Publish',
          Resource: { Ref: ids.topic },
        }),
      ]);
    });

    test('denies publishing without TLS', () => {
      expect(policy()).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: { Ref: ids.topic },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })
      );
    });

    test('e-mails the address configured in cdk.json (context.pipeline.notificationEmail)', () => {
      const subscriptions = ofType('AWS::SNS::Subscription').filter(
        ([, s]) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify({ Ref: ids.topic })
      );
      expect(subscriptions.map(([, s]) => s.Properties)).toEqual([
        { Protocol: 'email', Endpoint: pipelineConfig.notificationEmail, TopicArn: { Ref: ids.topic } },
      ]);
      expect(pipelineConfig.notificationEmail).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
    });
  });
}
