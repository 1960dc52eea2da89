import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ADMIN_GROUP } from '../../lib/config';
import { UserDirectory, type UserDirectoryProps } from '../../lib/constructs/user-directory';

function synth(props: UserDirectoryProps): Template {
  const stack = new Stack(new App(), 'Test');
  new UserDirectory(stack, 'Users', props);
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
});
