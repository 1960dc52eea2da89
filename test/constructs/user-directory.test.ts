import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ADMIN_GROUP, IDENTITY, type IdentityConfig } from '../../lib/config';
import {
  PRE_TOKEN_ACTIONS,
  TRIGGER_TIMEOUT,
  UserDirectory,
  type UserDirectoryProps,
} from '../../lib/constructs/user-directory';

const FUNCTION_CONFIG = {
  name: 'test',
  logRetention: logs.RetentionDays.ONE_DAY,
  removalPolicy: RemovalPolicy.DESTROY,
  logLevel: 'INFO',
} as const;
const OPEN: IdentityConfig = { adminUserPasswordAuth: true, adminsRequireMfa: false };

function synth(
  props: Omit<UserDirectoryProps, 'identity' | 'functionConfig'>,
  identity: IdentityConfig = OPEN
): Template {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  new UserDirectory(stack, 'Users', { ...props, identity, functionConfig: FUNCTION_CONFIG });
  return Template.fromStack(stack);
}

describe('UserDirectory', () => {
  const retained = synth({ deletionProtection: true, removalPolicy: RemovalPolicy.RETAIN });

  test('has the admins group the functions check for', () => {
    const [poolId] = Object.keys(retained.findResources('AWS::Cognito::UserPool'));
    retained.hasResourceProperties('AWS::Cognito::UserPoolGroup', {
      GroupName: ADMIN_GROUP,
      UserPoolId: { Ref: poolId },
    });
  });

  test('the client has no secret and no OAuth flows', () => {
    retained.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: Match.absent(),
      AllowedOAuthFlowsUserPoolClient: false,
    });
  });

  test('retains the pool with deletion protection when asked', () => {
    retained.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
  });

  test('does not protect or retain the pool when not asked', () => {
    synth({ deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY }).hasResource(
      'AWS::Cognito::UserPool',
      { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }) }
    );
  });

  test('keeps the original e-mail until a change is verified', () => {
    retained.hasResourceProperties('AWS::Cognito::UserPool', {
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });
});

describe('UserDirectory sign-in flows', () => {
  const flows = (t: Template) =>
    (
      Object.values(t.findResources('AWS::Cognito::UserPoolClient'))[0] as {
        Properties: { ExplicitAuthFlows: string[] };
      }
    ).Properties.ExplicitAuthFlows;

  test('prod: SRP and USER_PASSWORD_AUTH (the canary) and refresh; no ADMIN_USER_PASSWORD_AUTH', () => {
    const prod = synth({ deletionProtection: true, removalPolicy: RemovalPolicy.RETAIN }, IDENTITY.prod);
    expect([...flows(prod)].sort()).toEqual([
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
  });

  test('where the config allows it, ADMIN_USER_PASSWORD_AUTH too', () => {
    const dev = synth({ deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY }, IDENTITY.dev);
    expect(flows(dev)).toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
  });
});

describe('UserDirectory MFA of admins', () => {
  const required = synth(
    { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY },
    { adminUserPasswordAuth: false, adminsRequireMfa: true }
  );
  const notRequired = synth({ deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY }, OPEN);

  test('where required, a pre token generation trigger runs at every sign-in, with a 5 s timeout', () => {
    const [fnId] = Object.keys(
      required.findResources('AWS::Lambda::Function', {
        Properties: { Timeout: TRIGGER_TIMEOUT.toSeconds() },
      })
    );
    expect(fnId).toBeDefined();
    required.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreTokenGeneration: { 'Fn::GetAtt': [fnId, 'Arn'] } },
      // Optional for the pool: customers and the canary sign in without a code.
      MfaConfiguration: 'OPTIONAL',
    });
    required.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'cognito-idp.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
  });

  test("the trigger may read users' MFA settings of this pool only, and nothing else of Cognito", () => {
    const [poolId] = Object.keys(required.findResources('AWS::Cognito::UserPool'));
    required.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: PRE_TOKEN_ACTIONS[0], Resource: { 'Fn::GetAtt': [poolId, 'Arn'] } },
        ],
      },
    });
    expect(JSON.stringify(required.toJSON())).not.toMatch(/cognito-idp:\*|cognito-idp:Admin(?!GetUser)/);
  });

  test('where not required, no trigger and no function', () => {
    notRequired.resourceCountIs('AWS::Lambda::Function', 0);
    notRequired.hasResourceProperties('AWS::Cognito::UserPool', { LambdaConfig: Match.absent() });
  });
});
