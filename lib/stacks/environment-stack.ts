import { type CfnElement, Stack, type StackProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import { type EnvironmentConfig } from '../config';
import { logicalIdWithoutGroups } from '../constructs/logical-ids';

export interface EnvironmentStackProps extends StackProps {
  /** The environment this stack is deployed to. */
  readonly config: EnvironmentConfig;
}

/**
 * Base of every application stack: pins account, region and availability zones from config, so
 * synth never asks AWS for AZs (ec2.Vpc reads `stack.availabilityZones` even when given explicit
 * AZs; aws/aws-cdk#21690) and works with no credentials.
 */
export abstract class EnvironmentStack extends Stack {
  public readonly config: EnvironmentConfig;

  protected constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.config.account, region: props.config.region },
      terminationProtection: props.terminationProtection ?? props.config.terminationProtection,
    });
    this.config = props.config;
  }

  public override get availabilityZones(): string[] {
    return [...this.config.availabilityZones];
  }

  /** Resources of the named constructs keep the ids they had at the stack's top level (logical-ids.ts). */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdWithoutGroups(element) ?? super.allocateLogicalId(element);
  }
}
