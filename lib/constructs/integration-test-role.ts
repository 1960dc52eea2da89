import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { integrationTestsStepRoleName } from '../config';
import { trustedRolePrincipal } from './trusted-role-principal';

/**
 * What the integration suite does in the user pool: create its short-lived users, make their
 * generated password permanent, put one in the admins group (to create the product it orders),
 * and delete them afterwards. Sign-in is the app client's USER_PASSWORD_AUTH, which needs no IAM.
 */
export const INTEGRATION_TEST_USER_POOL_ACTIONS = [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:AdminAddUserToGroup',
  'cognito-idp:AdminDeleteUser',
] as const;
/** GetApiKey (with includeValue): the suite sends the key in x-api-key like any client. */
export const INTEGRATION_TEST_API_KEY_ACTIONS = ['apigateway:GET'] as const;

/**
 * The role's name: fixed, because the pipeline account's step must be allowed to assume it by ARN
 * before the role exists (a pipeline cannot reference a stage's resources).
 */
export function integrationTestRoleName(environment: string): string {
  return `${environment}-pipeline-integration-tests`;
}

export interface IntegrationTestRoleProps {
  /** The environment's name: part of the role's name. */
  readonly environmentName: string;
  /**
   * The pipeline's account, whose integration-test step assumes the role: only that step's role
   * (`integrationTestsStepRoleName`) may.
   */
  readonly trustedAccount: string;
  /** The pool the suite makes its users in. */
  readonly userPool: cognito.IUserPool;
  /** The API key the suite reads and calls the API with. */
  readonly apiKey: apigw.IApiKey;
}

/**
 * The role the pipeline's integration-test step assumes in the environment's account: manage
 * users of one user pool and read one API key, nothing else.
 */
export class IntegrationTestRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: IntegrationTestRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      roleName: integrationTestRoleName(props.environmentName),
      assumedBy: trustedRolePrincipal(
        Stack.of(this),
        props.trustedAccount,
        integrationTestsStepRoleName(props.environmentName)
      ),
      description:
        `The pipeline's integration-test step: short-lived users of the ${props.environmentName} ` +
        'user pool and the value of its API key, nothing else',
    });
    props.userPool.grant(this.role, ...INTEGRATION_TEST_USER_POOL_ACTIONS);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...INTEGRATION_TEST_API_KEY_ACTIONS],
        resources: [props.apiKey.keyArn],
      })
    );
  }
}
