import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ADMIN_GROUP } from '../config';
import { keepParentLogicalIds } from './logical-ids';

export const PASSWORD_MIN_LENGTH = 8;
/** Access and ID tokens alike: how long a signed-in client may call the API without refreshing. */
export const ACCESS_TOKEN_VALIDITY = Duration.minutes(60);
export const REFRESH_TOKEN_VALIDITY = Duration.days(30);

export interface UserDirectoryProps {
  /** Whether Cognito refuses to delete the pool. */
  readonly deletionProtection: boolean;
  /** What happens to the pool (and its users) when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The API's users: a Cognito user pool with e-mail sign-in and self sign-up, the public app client
 * that issues the tokens the API's authorizer verifies, and the admins group.
 */
export class UserDirectory extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly adminsGroup: cognito.CfnUserPoolGroup;

  constructor(scope: Construct, id: string, props: UserDirectoryProps) {
    super(scope, id);
    // Its resources were deployed at the stack's top level: keep their logical ids.
    keepParentLogicalIds(this);

    this.userPool = new cognito.UserPool(this, 'ApiUserPool', {
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: PASSWORD_MIN_LENGTH,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        // The seed allowed no symbols; AwsSolutions-COG1 (and NIST) want them.
        requireSymbols: true,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      autoVerify: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        givenName: { required: true, mutable: true },
        familyName: { required: true, mutable: true },
      },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    this.adminsGroup = new cognito.CfnUserPoolGroup(this, 'AdminsGroup', {
      userPoolId: this.userPool.userPoolId,
      // The functions treat its members as administrators (functions/shared/caller.ts).
      groupName: ADMIN_GROUP,
      description: 'Administrators: manage products, list users, read any order',
    });
    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'Self sign-up consumer API: MFA is optional (TOTP) so customers can enrol; admins are expected to enrol.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Essentials plan is a deliberate cost choice; threat protection (Plus) is an opt-in upgrade.',
      }
    );

    const profile = () =>
      new cognito.ClientAttributes().withStandardAttributes({
        email: true,
        givenName: true,
        familyName: true,
      });
    this.userPoolClient = this.userPool.addClient('ApiClient', {
      authFlows: { userSrp: true, userPassword: true, adminUserPassword: true },
      accessTokenValidity: ACCESS_TOKEN_VALIDITY,
      idTokenValidity: ACCESS_TOKEN_VALIDITY,
      refreshTokenValidity: REFRESH_TOKEN_VALIDITY,
      preventUserExistenceErrors: true,
      // API tokens come from the SRP/password flows; no hosted UI, so no OAuth grants or callbacks.
      disableOAuth: true,
      readAttributes: profile(),
      writeAttributes: profile(),
    });
  }
}
