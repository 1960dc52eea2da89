import { type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * A trust-policy principal for exactly one role of another account: that account, on the condition
 * that the caller's `aws:PrincipalArn` is the named role's ARN.
 *
 * The account alone (`arn:aws:iam::<account>:root`) would let any principal of that account that
 * its IAM allows sts:AssumeRole assume the role. The role ARN as the principal would also narrow
 * it, but IAM resolves such a principal to the role's unique id when the policy is saved: it fails
 * while that role does not exist yet, and a recreated role (same name, new id) would silently lose
 * the trust. The condition matches the ARN at call time, so neither deployment order nor a
 * recreated pipeline role matters.
 */
export function trustedRolePrincipal(stack: Stack, account: string, roleName: string): iam.IPrincipal {
  const roleArn = stack.formatArn({
    service: 'iam',
    region: '',
    account,
    resource: 'role',
    resourceName: roleName,
  });
  return new iam.AccountPrincipal(account).withConditions({ ArnEquals: { 'aws:PrincipalArn': roleArn } });
}
