/**
 * The name the AWS Control Tower pack of the synth gate (lib/compliance/control-tower.ts) reports
 * under. aws-cdk-lib matches an acknowledgement to `<plugin name>::<rule name>`, so constructs
 * acknowledge its findings with {@link controlTowerRule}.
 */
export const CONTROL_TOWER_PLUGIN_NAME = 'ControlTower';

/** The acknowledgement id of a Control Tower (cfn-guard) rule: `controlTowerRule('sqs_dlq_check')`. */
export function controlTowerRule(ruleName: string): string {
  return `${CONTROL_TOWER_PLUGIN_NAME}::${ruleName}`;
}
