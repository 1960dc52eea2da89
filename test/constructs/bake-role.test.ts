import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { bakeRoleName, bakeStepRoleName } from '../../lib/config';
import {
  BAKE_ROLE_ACTIONS,
  BAKE_ROLE_MAX_SESSION,
  BakeRole,
  type BakeRoleProps,
} from '../../lib/constructs/bake-role';

interface TrustedRole {
  readonly Properties: {
    readonly AssumeRolePolicyDocument: {
      readonly Statement: Array<{ Principal: unknown; Condition?: unknown }>;
    };
  };
}

function build(overrides: Partial<BakeRoleProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const bake = new BakeRole(stack, 'Bake', {
    environmentName: 'prod',
    pipelineAccount: '999999999999',
    bakeTime: Duration.minutes(10),
    ...overrides,
  });
  return { bake, template: Template.fromStack(stack) };
}

describe('BakeRole', () => {
  const { bake, template } = build();

  test('is named for the pipeline to assume by ARN', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: bakeRoleName('prod'),
      MaxSessionDuration: BAKE_ROLE_MAX_SESSION.toSeconds(),
    });
  });

  test("trusts only the pipeline account's bake step role (aws:PrincipalArn), nothing else", () => {
    const arn = (resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::999999999999:${resource}`]],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: bakeRoleName('prod'),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: arn('root') },
            Condition: { ArnEquals: { 'aws:PrincipalArn': arn(`role/${bakeStepRoleName('prod')}`) } },
          },
        ],
      },
    });
    expect(bakeStepRoleName('prod')).toBe('pipeline-prod-bake-step');
  });

  test('no trust statement names a :root principal without a condition', () => {
    const unconditioned = Object.values(template.findResources('AWS::IAM::Role'))
      .flatMap((r) => (r as TrustedRole).Properties.AssumeRolePolicyDocument.Statement)
      .filter((s) => JSON.stringify(s.Principal).includes(':root') && s.Condition === undefined);
    expect(unconditioned).toEqual([]);
  });

  test('may read alarm states and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: BAKE_ROLE_ACTIONS[0], Resource: '*' }] },
    });
    expect(BAKE_ROLE_ACTIONS).toEqual(['cloudwatch:DescribeAlarms']);
  });

  test('outputs its ARN for the pipeline step', () => {
    const outputs = Object.values(template.findOutputs('*'));
    expect(outputs).toEqual([
      expect.objectContaining({ Value: { 'Fn::GetAtt': [expect.stringMatching(/^BakeBakeRole/), 'Arn'] } }),
    ]);
    expect(bake.arnOutput.node.id).toBe('BakeRoleArn');
  });

  test('throws when the bake time does not fit in one role session', () => {
    expect(() => build({ bakeTime: Duration.minutes(50) })).toThrow(
      'bakeTime must be at most 45 minutes (one role session), got 50 minutes for prod'
    );
  });

  test('throws when there is no bake time', () => {
    expect(() => build({ bakeTime: Duration.seconds(0) })).toThrow('bakeTime must be positive');
  });
});
