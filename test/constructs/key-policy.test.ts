import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { denyGrantsExceptForAwsResources } from '../../lib/constructs/key-policy';

const DENY = {
  Sid: 'DenyGrantsExceptForAwsResources',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'kms:CreateGrant',
  Resource: '*',
  Condition: {
    BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
  },
};

describe('denyGrantsExceptForAwsResources', () => {
  test("adds the deny statement CT.KMS.PR.3 asks for, keeping the key's other statements", () => {
    const stack = new Stack(new App(), 'Test');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    denyGrantsExceptForAwsResources(key);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: [Match.objectLike({ Effect: 'Allow', Action: 'kms:*' }), DENY],
      },
    });
  });

  test('a key without it has no such statement', () => {
    const stack = new Stack(new App(), 'Test');
    new kms.Key(stack, 'Key', { enableKeyRotation: true });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.not(Match.arrayWith([Match.objectLike({ Action: 'kms:CreateGrant' })])) },
    });
  });

  test('is a no-op on an imported key, whose policy this app does not own', () => {
    const stack = new Stack(new App(), 'Test');
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:111111111111:key/abcd');
    expect(() => denyGrantsExceptForAwsResources(key)).not.toThrow();
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 0);
  });
});
