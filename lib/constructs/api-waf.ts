import { ArnFormat, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** WAF delivers logs only to log groups whose name starts with this. */
export const WAF_LOG_GROUP_PREFIX = 'aws-waf-logs-';
/** The limits WAF accepts for a rate-based rule. */
export const WAF_RATE_LIMIT_RANGE = { min: 10, max: 2_000_000_000 } as const;
/** The rate-based rule counts requests over this window (what `rateLimitPer5Minutes` means). */
export const WAF_RATE_WINDOW_SECONDS = 300;
/** The AWS managed rule groups the web ACL applies, in evaluation order after the rate rules. */
export const WAF_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;
/** Headers carrying credentials (Cognito token, API key): redacted before WAF writes a log record. */
export const WAF_REDACTED_HEADERS = ['authorization', 'x-api-key'] as const;
/** Name of the rate-based rule (also its metric name). */
export const WAF_RATE_RULE_NAME = 'RateLimitPerIp';
/** Name of the rate-based rule keyed on the `Authorization` header (also its metric name). */
export const WAF_PER_CALLER_RATE_RULE_NAME = 'RateLimitPerCaller';

const WEB_ACL_NAME = /^[\w-]{1,128}$/;

function checkRateLimit(name: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < WAF_RATE_LIMIT_RANGE.min || limit > WAF_RATE_LIMIT_RANGE.max) {
    throw new Error(
      `${name} must be an integer from ${WAF_RATE_LIMIT_RANGE.min} to ${WAF_RATE_LIMIT_RANGE.max}, got ${limit}`
    );
  }
}

export interface ApiWafProps {
  /** The API stage the web ACL protects. */
  readonly stage: apigw.Stage;
  /**
   * Name of the web ACL, unique per account and region: the `WebACL` dimension of its CloudWatch
   * metrics, so alarms in other stacks can use it as a plain string.
   */
  readonly webAclName: string;
  /** Requests one client IP may send in any 5-minute window before WAF blocks it. */
  readonly rateLimitPer5Minutes: number;
  /**
   * Requests one caller (one `Authorization` header value) may send in any 5-minute window before
   * WAF blocks it. Requests without the header are not counted by this rule.
   */
  readonly perCallerRateLimitPer5Minutes: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A REGIONAL WAFv2 web ACL on an API Gateway stage: a per-IP and a per-caller (`Authorization`
 * header) rate limit, then the AWS managed common rule set (OWASP-style: XSS, LFI/RFI, SSRF to
 * instance metadata, oversized parts, no User-Agent) and the known-bad-inputs set (Log4Shell, Java
 * deserialization, ...). Requests that no rule blocks are allowed. Blocked and counted requests are
 * logged to `aws-waf-logs-<web ACL name>` with the credential headers redacted; API Gateway's
 * access log already records every request.
 *
 * The common rule set blocks request bodies over 8 KB: every body this API accepts is well under
 * that (a product is at most ~2.3 KB, an order at most 25 lines), so nothing legitimate is lost.
 */
export class ApiWaf extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly webAclName: string;
  public readonly association: wafv2.CfnWebACLAssociation;
  public readonly logGroup: logs.LogGroup;
  public readonly loggingConfiguration: wafv2.CfnLoggingConfiguration;

  constructor(scope: Construct, id: string, props: ApiWafProps) {
    super(scope, id);
    const { rateLimitPer5Minutes, perCallerRateLimitPer5Minutes, webAclName } = props;
    checkRateLimit('rateLimitPer5Minutes', rateLimitPer5Minutes);
    checkRateLimit('perCallerRateLimitPer5Minutes', perCallerRateLimitPer5Minutes);
    if (Token.isUnresolved(webAclName) || !WEB_ACL_NAME.test(webAclName)) {
      throw new Error(
        `webAclName must be 1 to 128 letters, digits, '_' or '-' (known at synth), got ${webAclName}`
      );
    }
    this.webAclName = webAclName;

    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const managedRule = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      // The group's own actions (block) apply.
      overrideAction: { none: {} },
      visibilityConfig: visibility(name),
    });
    const rateRule = (
      name: string,
      priority: number,
      statement: wafv2.CfnWebACL.RateBasedStatementProperty
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      statement: { rateBasedStatement: { ...statement, evaluationWindowSec: WAF_RATE_WINDOW_SECONDS } },
      action: { block: {} },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: webAclName,
      // WAF allows only letters, digits, whitespace and _+=:#@/-,. in a description.
      description:
        'API stage protection: per-IP and per-caller rate limits, AWS managed common and known-bad-inputs rules',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(webAclName),
      rules: [
        // First, so a flood is cut before the managed groups spend capacity on it.
        rateRule(WAF_RATE_RULE_NAME, 0, { aggregateKeyType: 'IP', limit: rateLimitPer5Minutes }),
        // Per caller: every client shares one API key and usage-plan bucket, so the token is the key.
        rateRule(WAF_PER_CALLER_RATE_RULE_NAME, 1, {
          aggregateKeyType: 'CUSTOM_KEYS',
          limit: perCallerRateLimitPer5Minutes,
          customKeys: [
            { header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } },
          ],
        }),
        ...WAF_MANAGED_RULE_GROUPS.map((name, i) => managedRule(name, i + 2)),
      ],
    });

    this.association = new wafv2.CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `${WAF_LOG_GROUP_PREFIX}${webAclName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // WAF wants the log group's ARN without the `:*` that its GetAtt Arn ends with. WAF adds the
    // log-delivery resource policy (AWSWAF-LOGS, scoped to aws-waf-logs-* groups) itself.
    const logGroupArn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: this.logGroup.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.loggingConfiguration = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [logGroupArn],
      redactedFields: WAF_REDACTED_HEADERS.map((name) => ({ singleHeader: { Name: name } })),
      // Allowed requests are already in the API's access log: keep what WAF blocked or counted.
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: ['BLOCK', 'COUNT'].map((Action) => ({ ActionCondition: { Action } })),
          },
        ],
      },
    });
    this.loggingConfiguration.node.addDependency(this.logGroup);
  }
}
