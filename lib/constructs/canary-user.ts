import { CustomResource, Duration, Validations } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICE_NAMES } from '../config';
import { AppFunction, type FunctionConfig } from './app-function';

/** The CloudFormation type of the resource: one per environment, in the ServerlessApi stack. */
export const CANARY_USER_RESOURCE_TYPE = 'Custom::ApiCanaryUser';
/** The provider's actions on the pool: what the canary no longer needs. */
export const CANARY_USER_PROVIDER_ACTIONS = [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:AdminDeleteUser',
] as const;
/**
 * How long CloudFormation waits for the provider's answer (its default is an hour): the provider
 * answers within seconds, so a lost answer fails the deployment in minutes.
 */
export const CANARY_USER_SERVICE_TIMEOUT = Duration.minutes(5);

export interface CanaryUserProps {
  /** The provider function's log retention, removal policy and log level; `name` tags its role. */
  readonly functionConfig: FunctionConfig;
  /** Where the user is made. */
  readonly userPool: cognito.IUserPool;
  /** The user's name (also its e-mail, which Cognito never writes to: no invitation is sent). */
  readonly username: string;
  /** JSON `{"username", "password"}`: the provider sets the user's password from it. */
  readonly secret: secretsmanager.ISecret;
}

/**
 * The API canary's Cognito user, made at deploy time by a custom resource (functions/canary-user), so
 * the canary's own role needs no Cognito admin permission: IAM cannot scope AdminSetUserPassword to
 * one username, and a canary that may reset any password in the pool would make a compromise of the
 * canary an account takeover of every customer.
 *
 * Create and Update create the user (no invitation, e-mail verified; an existing one is kept) and
 * set its password, permanent, from the secret; Delete deletes the user. The provider reads the
 * password from Secrets Manager itself: CloudFormation does not resolve `{{resolve:secretsmanager}}`
 * in custom resource properties (aws-cloudformation/cloudformation-coverage-roadmap#341), and
 * AwsCustomResource's handler logs every event it receives. The provider is fixed to this one user by
 * its environment; the resource's properties repeat pool, username and secret ARN so that changing
 * one of them updates the resource and sets the password again.
 *
 * The password is set when CloudFormation creates or updates the resource, not when the secret's
 * value changes: a value put into the secret by hand reaches Cognito only with the next update of
 * this resource. To change the password, replace the secret (a new logical id: a new generated
 * value and ARN) and deploy; see docs/operations.md, "The API canary".
 */
export class CanaryUser extends Construct {
  /** Runs the lifecycle; may touch only this user (its environment), in this pool. */
  public readonly provider: AppFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: CanaryUserProps) {
    super(scope, id);
    const { functionConfig, userPool, username, secret } = props;

    this.provider = new AppFunction(this, 'Provider', {
      entry: 'canary-user',
      description: "Provisions the API canary's Cognito user (CloudFormation custom resource)",
      config: functionConfig,
      serviceName: SERVICE_NAMES.canaryUser,
      environment: {
        USER_POOL_ID: userPool.userPoolId,
        CANARY_USERNAME: username,
        USER_SECRET_ARN: secret.secretArn,
      },
    });
    userPool.grant(this.provider.role, ...CANARY_USER_PROVIDER_ACTIONS);
    secret.grantRead(this.provider.role);
    Validations.of(this.provider.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked by CloudFormation alone, for this resource: each event carries a pre-signed response ' +
        'URL that only the running deployment waits on, so a queued event could never be answered. The ' +
        'handler answers FAILED on any error (the deployment rolls back); an answer that is lost fails ' +
        `the resource after its ${CANARY_USER_SERVICE_TIMEOUT.toMinutes()}-minute service timeout.`,
    });

    this.resource = new CustomResource(this, 'Resource', {
      resourceType: CANARY_USER_RESOURCE_TYPE,
      serviceToken: this.provider.function.functionArn,
      serviceTimeout: CANARY_USER_SERVICE_TIMEOUT,
      properties: { UserPoolId: userPool.userPoolId, Username: username, UserSecretArn: secret.secretArn },
    });
    // Delete runs while the provider can still log, read the secret and call Cognito.
    this.resource.node.addDependency(this.provider);
  }
}
