import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Denies `kms:CreateGrant` on `key` unless the grant is for an AWS resource (RDS, Secrets Manager,
 * ElastiCache... create grants on the caller's behalf) or an AWS service asks for it: nobody can
 * hand a third party lasting use of the key through a grant (AWS Control Tower CT.KMS.PR.3).
 * CDK's own grants (`key.grantDecrypt(role)`) are key-policy or IAM statements, not KMS grants.
 *
 * A no-op on an imported key, whose policy this app does not own.
 */
export function denyGrantsExceptForAwsResources(key: kms.IKey): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyGrantsExceptForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      // In a key policy, "*" is this key.
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
    /* allowNoOp */ true
  );
}
