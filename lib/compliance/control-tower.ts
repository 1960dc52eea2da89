import {
  CfnResource,
  type IPolicyValidationContextBeta1,
  type IPolicyValidationPluginBeta1,
  type PolicyValidationPluginReportBeta1,
  Validations,
} from 'aws-cdk-lib';
import { CfnFunction, CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { type IConstruct } from 'constructs';
import { CONTROL_TOWER_PLUGIN_NAME, controlTowerRule } from '../config/rule-packs';

/** cfn-guard's JSON output for every template of the app: well over Node's 1 MiB default. */
const GUARD_OUTPUT_BUFFER_BYTES = 64 * 1024 * 1024;

/**
 * The AWS Control Tower proactive controls (every rule `@cdklabs/cdk-validator-cfnguard` ships,
 * run by the cfn-guard binary inside that npm package: nothing is downloaded at install or run
 * time), as a second, independent pack of the synth gate.
 *
 * It wraps `CfnGuardValidator` for one reason: that plugin reports its violations without a
 * severity, and aws-cdk-lib, once any violation of a plugin is acknowledged, re-derives the
 * plugin's success from the severities of the rest (`error` or `fatal` fail). Without one, a
 * single acknowledgement would turn every other Control Tower finding into a pass. Every finding
 * is an error here, as every cdk-nag finding is.
 */
export class ControlTowerChecks implements IPolicyValidationPluginBeta1 {
  public readonly name = CONTROL_TOWER_PLUGIN_NAME;
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly guard: CfnGuardValidator;

  constructor() {
    this.guard = new CfnGuardValidator({ maxBuffer: GUARD_OUTPUT_BUFFER_BYTES });
    this.version = this.guard.version;
    this.ruleIds = this.guard.ruleIds;
  }

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const report = this.guard.validate(context);
    return {
      ...report,
      violations: report.violations.map((violation) => ({ ...violation, severity: 'error' })),
    };
  }
}

/**
 * The decisions of this design that every resource of a kind shares, so they are made once here
 * instead of in each construct; each is acknowledged on each resource it applies to (the
 * acknowledgement report lists every one). A resource that does not match the condition is
 * still checked.
 */
const APP_WIDE_DECISIONS: ReadonlyArray<{
  readonly rule: string;
  readonly applies: (resource: CfnResource) => boolean;
  readonly reason: string;
}> = [
  {
    rule: 'lambda_inside_vpc_check',
    // CDK's own singleton handlers (log retention, default-SG restriction) are plain CfnResources.
    applies: (r) =>
      r.cfnResourceType === CfnFunction.CFN_RESOURCE_TYPE_NAME && !(r instanceof CfnFunction && r.vpcConfig),
    reason:
      'Runs outside the VPC by design: it calls only AWS APIs (IAM-authorized, over TLS) and reaches ' +
      'no resource inside the VPC; a VPC would add NAT cost and cold-start latency and no control.',
  },
  {
    rule: 'lambda_function_public_access_prohibited_check',
    applies: (r) =>
      r instanceof CfnPermission && r.principal === 'apigateway.amazonaws.com' && r.sourceArn !== undefined,
    reason:
      "API Gateway's invoke permission, scoped by SourceArn to this stack's own REST API (an " +
      'execute-api ARN built with Fn::Join, which the rule does not resolve): not public.',
  },
  {
    rule: 'cloudwatch_log_group_encrypted_check',
    applies: (r) => r instanceof CfnLogGroup && r.kmsKeyId === undefined,
    reason:
      'CloudWatch Logs encrypts every log group at rest with service keys; these hold operational logs ' +
      '(no secrets, no payloads), so a customer key would add cost and a decrypt dependency, not protection.',
  },
  {
    rule: 'cloudwatch_log_group_retention_period_check',
    applies: (r) => r instanceof CfnLogGroup && r.retentionInDays !== undefined,
    reason:
      'Operational logs with a retention chosen per environment in lib/config (cost); the audit ' +
      'record that must be kept a year or more is CloudTrail, outside this app.',
  },
];

/**
 * Acknowledges {@link APP_WIDE_DECISIONS} on every matching resource under `scope`. Call it once
 * the construct tree is complete, before `app.synth()`.
 */
export function acknowledgeAppWideDecisions(scope: IConstruct): void {
  for (const construct of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    for (const decision of APP_WIDE_DECISIONS) {
      if (decision.applies(construct)) {
        Validations.of(construct).acknowledge({
          id: controlTowerRule(decision.rule),
          reason: decision.reason,
        });
      }
    }
  }
}
