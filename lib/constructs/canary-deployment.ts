import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { controlTowerRule } from '../config/rule-packs';

/** Callers (API Gateway, the authorizer, event sources) invoke this alias, never `$LATEST`. */
export const LIVE_ALIAS_NAME = 'live';
/** Deploy guards look at 1-minute periods: they must fire inside a 5-minute canary. */
export const DEPLOY_GUARD_PERIOD = Duration.minutes(1);
/**
 * Errors per minute of a function's alias that stop its deployment. The API handlers turn every
 * expected failure into a response, so an error is a crash or a timeout; one stray error does not
 * roll back, a broken version fails far more often.
 */
export const DEPLOY_GUARD_ERRORS_THRESHOLD = 3;
/** API Gateway 5XX responses per minute that stop every deployment (client input never causes a 5XX). */
export const DEPLOY_GUARD_API_5XX_THRESHOLD = 3;

export interface CanaryDeploymentProps<Name extends string> {
  /** The environment's name: prefixes the guard alarms' names and tags the service role. */
  readonly environmentName: string;
  /** How CodeDeploy shifts an alias to a new version (canary, linear or all at once). */
  readonly trafficShifting: codedeploy.ILambdaDeploymentConfig;
  /**
   * Whether the groups watch deploy-guard alarms and roll back when one fires; without it, no guard
   * alarm is created and a deployment rolls back only when it fails itself.
   */
  readonly rollbackOnAlarm: boolean;
  /** The functions to publish through a `live` alias, by the short name used in alarm names. */
  readonly functions: Readonly<Record<Name, lambda.Function>>;
  /**
   * Errors per minute that stop a function's deployment, for functions whose errors are not all
   * failures.
   * @default DEPLOY_GUARD_ERRORS_THRESHOLD for every function
   */
  readonly errorsThresholds?: Readonly<Partial<Record<Name, number>>>;
  /**
   * What a function's errors guard sums instead of its alias's Lambda Errors, for functions whose
   * own metric counts their failures (the authorizer's UnexpectedFailures: its refusals are Deny
   * policies). Each metric's statistic and period become Sum over DEPLOY_GUARD_PERIOD.
   * @default Lambda Errors of the `live` alias for every function
   */
  readonly errorsMetrics?: Readonly<Partial<Record<Name, cloudwatch.Metric>>>;
}

/**
 * Safe deployments for a stack's functions: each is published as a version behind a `live` alias
 * (`fn.currentVersion`), and a CodeDeploy deployment group shifts the alias to a new version as
 * `trafficShifting` says (canary, linear or all at once). Where `rollbackOnAlarm` is set,
 * each group watches a deploy-guard alarm on its function's errors plus the alarms added with
 * {@link addGuardAlarm} (e.g. {@link addApiGuard}), and rolls back when one fires.
 *
 * The guard alarms have no actions: they stop deployments and page nobody (the Monitoring stack
 * owns the notifying alarms). They live in the same stack as the deployment groups, because the
 * Monitoring stack depends on this one.
 */
export class CanaryDeployment<Name extends string> extends Construct {
  /** One CodeDeploy application for all groups of the stack. */
  public readonly application: codedeploy.LambdaApplication;
  /** One service role for all groups of the stack (AWSCodeDeployRoleForLambdaLimited). */
  public readonly role: iam.Role;
  /** The `live` alias of each function: what every caller invokes. */
  public readonly aliases: Readonly<Record<Name, lambda.Alias>>;
  public readonly deploymentGroups: Readonly<Record<Name, codedeploy.LambdaDeploymentGroup>>;
  /** Each function's deploy-guard errors alarm; empty without `rollbackOnAlarm`. */
  public readonly errorsAlarms: Readonly<Partial<Record<Name, cloudwatch.Alarm>>>;

  private readonly environmentName: string;
  private readonly rollbackOnAlarm: boolean;

  constructor(scope: Construct, id: string, props: CanaryDeploymentProps<Name>) {
    super(scope, id);
    const { trafficShifting, rollbackOnAlarm } = props;
    this.environmentName = props.environmentName;
    this.rollbackOnAlarm = rollbackOnAlarm;

    this.application = new codedeploy.LambdaApplication(this, 'Application');
    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `CodeDeploy: shifts the live aliases of the API functions (${props.environmentName})`,
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        "CodeDeploy's service role for Lambda; this AWS-maintained policy is the documented one and is " +
        'limited to updating aliases, reading alarms and invoking CodeDeployHook_* functions.',
    });

    const aliases: Partial<Record<Name, lambda.Alias>> = {};
    const groups: Partial<Record<Name, codedeploy.LambdaDeploymentGroup>> = {};
    const errorsAlarms: Partial<Record<Name, cloudwatch.Alarm>> = {};
    for (const name of Object.keys(props.functions) as Name[]) {
      const fn = props.functions[name];
      // Under the function, so the alias and what binds to it (event sources) sit in its subtree.
      const alias = fn.addAlias(LIVE_ALIAS_NAME, {
        description: 'What callers invoke; CodeDeploy shifts it from version to version',
      });
      const errorsAlarm = rollbackOnAlarm
        ? this.guardAlarm(`${pascalCase(name)}ErrorsAlarm`, {
            name: `Lambda-${name}-Errors`,
            description:
              `Stops and rolls back a deployment of the ${name} function: ` +
              (props.errorsMetrics?.[name] ? 'its failures' : `errors of its ${LIVE_ALIAS_NAME} alias`) +
              ' (no notification; see the Monitoring stack)',
            metric:
              props.errorsMetrics?.[name]?.with({
                statistic: cloudwatch.Stats.SUM,
                period: DEPLOY_GUARD_PERIOD,
              }) ?? alias.metricErrors({ statistic: cloudwatch.Stats.SUM, period: DEPLOY_GUARD_PERIOD }),
            threshold: props.errorsThresholds?.[name] ?? DEPLOY_GUARD_ERRORS_THRESHOLD,
          })
        : undefined;
      groups[name] = new codedeploy.LambdaDeploymentGroup(this, `${pascalCase(name)}DeploymentGroup`, {
        application: this.application,
        alias,
        deploymentConfig: trafficShifting,
        role: this.role,
        alarms: errorsAlarm ? [errorsAlarm] : [],
        autoRollback: rollbackOnAlarm
          ? { deploymentInAlarm: true, failedDeployment: true }
          : { deploymentInAlarm: false, failedDeployment: true },
      });
      aliases[name] = alias;
      if (errorsAlarm) errorsAlarms[name] = errorsAlarm;
    }
    this.aliases = aliases as Record<Name, lambda.Alias>;
    this.deploymentGroups = groups as Record<Name, codedeploy.LambdaDeploymentGroup>;
    this.errorsAlarms = errorsAlarms;
  }

  /** Every deployment group also watches this alarm (only with `rollbackOnAlarm`). */
  public addGuardAlarm(alarm: cloudwatch.IAlarm): void {
    if (!this.rollbackOnAlarm) return;
    for (const group of Object.values<codedeploy.LambdaDeploymentGroup>(this.deploymentGroups)) {
      group.addAlarm(alarm);
    }
  }

  /**
   * Creates the API's deploy-guard 5XX alarm and adds it to every group: a function's new version
   * may break the API without failing itself (bad responses, an authorizer that crashes: 500).
   * @returns the alarm, or `undefined` without `rollbackOnAlarm`
   */
  public addApiGuard(api: apigw.RestApi): cloudwatch.Alarm | undefined {
    if (!this.rollbackOnAlarm) return undefined;
    const alarm = this.guardAlarm('Api5xxErrorsAlarm', {
      name: 'API-5XX-Errors',
      description:
        'Stops and rolls back deployments of the API functions: API Gateway 5XX responses ' +
        '(no notification; see the Monitoring stack)',
      metric: api.metricServerError({ statistic: cloudwatch.Stats.SUM, period: DEPLOY_GUARD_PERIOD }),
      threshold: DEPLOY_GUARD_API_5XX_THRESHOLD,
    });
    this.addGuardAlarm(alarm);
    return alarm;
  }

  /**
   * Creates the deploy-guard alarm on the API canary's runs and adds it to every group: a new version
   * that fails a real client's calls (sign-in, authorizer, a read) stops the shift and rolls back.
   * @param successPercent the canary's SuccessPercent per run interval
   * @param threshold the SuccessPercent below which a run interval fails the deployment
   * @returns the alarm, or `undefined` without `rollbackOnAlarm`
   */
  public addCanaryGuard(successPercent: cloudwatch.IMetric, threshold: number): cloudwatch.Alarm | undefined {
    if (!this.rollbackOnAlarm) return undefined;
    const alarm = this.guardAlarm('ApiCanaryAlarm', {
      name: 'API-Canary',
      description:
        'Stops and rolls back deployments of the API functions: runs of the API canary failed ' +
        '(no notification; see the Monitoring stack)',
      metric: successPercent,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    this.addGuardAlarm(alarm);
    return alarm;
  }

  private guardAlarm(id: string, spec: GuardAlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.environmentName}-DeployGuard-${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator:
        spec.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No invocations, no errors: an idle alias must not block the next deployment (nor a canary
      // that has not run yet).
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    Validations.of(alarm).acknowledge({
      id: controlTowerRule('cloudwatch_alarm_action_check'),
      reason:
        'A deploy guard: CodeDeploy reads its state and rolls the deployment back; it pages nobody by ' +
        'design (the Monitoring stack owns the notifying alarms on the same metrics).',
    });
    return alarm;
  }
}

interface GuardAlarmSpec {
  /** Prefixed with `<env>-DeployGuard-`. */
  readonly name: string;
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** @default GREATER_THAN_OR_EQUAL_TO_THRESHOLD (counts of errors) */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
