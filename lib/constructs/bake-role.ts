import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { bakeRoleName, bakeStepRoleName } from '../config';
import { keepParentLogicalIds } from './logical-ids';
import { trustedRolePrincipal } from './trusted-role-principal';

/** What the bake step may do with the alarms of this account: read them, nothing else. */
export const BAKE_ROLE_ACTIONS = ['cloudwatch:DescribeAlarms'] as const;
/** The bake step's one role session covers the bake time plus this margin (install, polls). */
export const BAKE_ROLE_SESSION_MARGIN = Duration.minutes(15);
export const BAKE_ROLE_MAX_SESSION = Duration.hours(1);

export interface BakeRoleProps {
  /** Names the role (`bakeRoleName`), which the pipeline's step assumes by ARN. */
  readonly environmentName: string;
  /** The pipeline's account, whose bake step role (`bakeStepRoleName`) alone may assume the role. */
  readonly pipelineAccount: string;
  /** How long the bake step watches the alarms: with a margin, it must fit in one role session. */
  readonly bakeTime: Duration;
}

/**
 * Read-only access to this account's alarms for the pipeline's bake step, which watches them for
 * the bake time after a deploy; its ARN is a stack output the step reads (`envFromCfnOutputs`).
 */
export class BakeRole extends Construct {
  public readonly role: iam.Role;
  /** The role's ARN, for the pipeline step. */
  public readonly arnOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: BakeRoleProps) {
    super(scope, id);
    keepParentLogicalIds(this);
    const { bakeTime } = props;
    if (bakeTime.toSeconds() <= 0) {
      throw new Error(`bakeTime must be positive for a bake role, got ${bakeTime.toSeconds()} seconds`);
    }
    if (bakeTime.plus(BAKE_ROLE_SESSION_MARGIN).toSeconds() > BAKE_ROLE_MAX_SESSION.toSeconds()) {
      throw new Error(
        `bakeTime must be at most ${BAKE_ROLE_MAX_SESSION.minus(BAKE_ROLE_SESSION_MARGIN).toMinutes()} ` +
          `minutes (one role session), got ${bakeTime.toMinutes()} minutes for ${props.environmentName}`
      );
    }

    this.role = new iam.Role(this, 'BakeRole', {
      roleName: bakeRoleName(props.environmentName),
      assumedBy: trustedRolePrincipal(
        Stack.of(this),
        props.pipelineAccount,
        bakeStepRoleName(props.environmentName)
      ),
      description: `The pipeline's bake step: reads the ${props.environmentName} alarms, nothing else`,
      maxSessionDuration: BAKE_ROLE_MAX_SESSION,
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: [...BAKE_ROLE_ACTIONS], resources: ['*'] }));
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:DescribeAlarms supports no resource-level scoping; ' +
        'the role can read alarm states and nothing else.',
    });
    this.arnOutput = new CfnOutput(this, 'BakeRoleArn', {
      value: this.role.roleArn,
      description: "Role the pipeline's bake step assumes to watch this environment's alarms",
    });
  }
}
