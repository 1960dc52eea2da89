import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ADMIN_GROUP, type IdentityConfig, SERVICE_NAMES } from '../config';
import { AppFunction, type FunctionConfig } from './app-function';
import { keepParentLogicalIds } from './logical-ids';

export const PASSWORD_MIN_LENGTH = 8;
/** Access and ID tokens alike: how long a signed-in client may call the API without refreshing. */
export const ACCESS_TOKEN_VALIDITY = Duration.minutes(60);
export const REFRESH_TOKEN_VALIDITY = Duration.days(30);
/** Cognito waits 5 seconds for a trigger's answer. */
export const TRIGGER_TIMEOUT = Duration.seconds(5);
/** What the pre token generation trigger reads: the user's enabled MFA methods. */
export const PRE_TOKEN_ACTIONS = ['cognito-idp:AdminGetUser'] as const;

export interface UserDirectoryProps {
  /** Whether Cognito refuses to delete the pool. */
  readonly deletionProtection: boolean;
  /** What happens to the pool (and its users) when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** The app client's ADMIN_USER_PASSWORD_AUTH flow, and whether admins need MFA. */
  readonly identity: IdentityConfig;
  /** Log retention, removal policy and log level of the pre token generation trigger. */
  readonly functionConfig: FunctionConfig;
}

/**
 * The API's users: a Cognito user pool with e-mail sign-in and self sign-up, the public app client
 * that issues the tokens the API's authorizer verifies, and the admins group.
 */
export class UserDirectory extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly adminsGroup: cognito.CfnUserPoolGroup;
  /** Where the config requires MFA of admins: the pre token generation trigger. */
  public readonly preTokenTrigger?: AppFunction;

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
      // A changed e-mail takes effect once its code is confirmed; until then `email` (and
      // `email_verified: true`) stay the old, verified address.
      keepOriginal: { email: true },
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
      // SRP: browsers. USER_PASSWORD_AUTH: the API canary (canaries/api/checks.ts) in every
      // environment and the integration suite (test/integration/support/cloud-target.ts) in dev.
      // ADMIN_USER_PASSWORD_AUTH: nothing here uses it; off where the config says (prod).
      authFlows: {
        userSrp: true,
        userPassword: true,
        adminUserPassword: props.identity.adminUserPasswordAuth,
      },
      accessTokenValidity: ACCESS_TOKEN_VALIDITY,
      idTokenValidity: ACCESS_TOKEN_VALIDITY,
      refreshTokenValidity: REFRESH_TOKEN_VALIDITY,
      preventUserExistenceErrors: true,
      // API tokens come from the SRP/password flows; no hosted UI, so no OAuth grants or callbacks.
      disableOAuth: true,
      readAttributes: profile(),
      writeAttributes: profile(),
    });
    if (props.identity.adminsRequireMfa) this.preTokenTrigger = this.requireMfaOfAdmins(props.functionConfig);
  }

  /**
   * Cognito has no MFA setting per group, and MFA REQUIRED for the whole pool would also demand a
   * code of every customer and of the API canary, which signs in with a password alone. Instead a
   * pre token generation trigger (functions/pre-token) leaves the admins group out of the tokens
   * of a member with no MFA method enabled: the authorizer and the functions see a customer. With
   * MFA optional, Cognito challenges every user who has enabled it, so an admin token always comes
   * from a sign-in that passed a second factor. Kept in the pool, so nothing downstream changes.
   */
  private requireMfaOfAdmins(functionConfig: FunctionConfig): AppFunction {
    const trigger = new AppFunction(this, 'PreTokenGeneration', {
      entry: 'pre-token',
      description: 'Keeps the admins group out of tokens of members without MFA',
      config: functionConfig,
      serviceName: SERVICE_NAMES.api,
      timeout: TRIGGER_TIMEOUT,
    });
    this.userPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION, trigger.function);
    // A policy of its own rather than the role's default policy, which the function depends on:
    // the pool depends on the function (its trigger), so that would be a dependency cycle.
    new iam.Policy(this, 'PreTokenGenerationReadsMfa', {
      roles: [trigger.role],
      statements: [
        new iam.PolicyStatement({ actions: [...PRE_TOKEN_ACTIONS], resources: [this.userPool.userPoolArn] }),
      ],
    });
    trigger.acknowledgeNoAsyncInvocation(
      'Cognito invokes it synchronously at sign-in and token refresh; a failure fails that sign-in'
    );
    return trigger;
  }
}
