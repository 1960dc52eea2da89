import * as fs from 'node:fs';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { type Construct } from 'constructs';
import {
  ENVIRONMENT_NAMES,
  bakeRoleName,
  bakeStepRoleName,
  integrationTestsStepRoleName,
  type EnvironmentConfig,
  type EnvironmentName,
  type PipelineConfig,
} from '../config';
import { AppStage } from '../../stages/app-stage';
import { preDeploySteps } from './change-review-step';
import { DeliveryMetrics } from './delivery-metrics';
import { integrationTestsStep } from './integration-tests-step';
import { acknowledgePipelineFindings, hardenArtifactStore } from './pipeline-nag';
import { PipelineNotifications } from './pipeline-notifications';
import { nameStepRole } from './step-role-name';
import { synthStep } from './synth-step';

/** Runs in the post step of every stage, from the repository checkout. */
export const HEALTH_CHECK_SCRIPT = 'lib/pipeline/scripts/health-check.mjs';
export const HEALTH_CHECK_URL_VARIABLE = 'API_URL';
/** Watches the stage's alarms for its bake time (config.bakeTime), after its health check. */
export const BAKE_SCRIPT = 'lib/pipeline/scripts/bake.ts';
/** The bake step's CodeBuild timeout: the bake time plus this for `npm ci` and the polls. */
export const BAKE_STEP_TIMEOUT_MARGIN = Duration.minutes(20);
export const BAKE_NODEJS_VERSION = 22;
/** The aws-cdk CLI version installed from package-lock.json. */
export const CDK_CLI_VERSION = (
  JSON.parse(fs.readFileSync(require.resolve('aws-cdk/package.json'), 'utf8')) as { version: string }
).version;
/** CodeBuild image of every step: pinned, so a default change can't alter builds silently. */
export const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

export interface PipelineStackProps extends StackProps {
  readonly pipelineConfig: PipelineConfig;
  readonly environments: Record<EnvironmentName, EnvironmentConfig>;
}

/** The stage construct ids in deployment order: dev, staging, then prod behind an approval. */
export function stageId(name: EnvironmentName): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * The self-mutating delivery pipeline: source (CodeConnections) → synth (buildspec.yml: tests,
 * cdk-nag gate, cdk synth) → self-mutation → assets → dev → staging → manual approval → prod, with
 * a /health check after each stage. Approvals needed and finished executions are sent by e-mail.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  public readonly stages: Record<EnvironmentName, AppStage>;
  /** Approval needed, execution failed or succeeded → the encrypted topic → e-mail. */
  public readonly notifications: PipelineNotifications;
  /** Lead time, deployment frequency, MTBF and MTTR from the execution state changes, on a dashboard. */
  public readonly deliveryMetrics: DeliveryMetrics;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { pipelineConfig } = props;
    super(scope, id, {
      ...props,
      env: { account: pipelineConfig.account, region: pipelineConfig.region },
      terminationProtection: true,
    });

    const source = pipelines.CodePipelineSource.connection(pipelineConfig.repository, pipelineConfig.branch, {
      connectionArn: pipelineConfig.connectionArn,
      triggerOnPush: true,
    });

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: pipelineConfig.pipelineName,
      // Set explicitly: the default depends on a feature flag (aws/aws-cdk#29146).
      pipelineType: codepipeline.PipelineType.V2,
      selfMutation: true,
      // dev, staging and prod are separate accounts: artifacts need a KMS key they can be granted.
      crossAccountKeys: true,
      enableKeyRotation: true,
      // One asset-publishing job for all assets instead of one CodeBuild project per asset
      // (aws/aws-cdk#23016): fewer actions, faster and cheaper; assets are shared by all stages.
      publishAssetsInParallel: false,
      // esbuild is a devDependency, so Lambda bundling runs in the synth container without Docker.
      dockerEnabledForSynth: false,
      synth: synthStep({ input: source }),
      // Self-mutation runs the CLI version the repo pins (package-lock), not whatever is newest.
      cliVersion: CDK_CLI_VERSION,
      codeBuildDefaults: { buildEnvironment: { buildImage: BUILD_IMAGE } },
    });

    const stages = {} as Record<EnvironmentName, AppStage>;
    // The steps whose roles another account trusts by name (set once the pipeline is built).
    const namedRoles: Array<[pipelines.CodeBuildStep, string]> = [];
    const commit = source.sourceAttribute('CommitId');
    for (const name of ENVIRONMENT_NAMES) {
      const config = props.environments[name];
      const stage = new AppStage(this, stageId(name), { config, pipelineAccount: pipelineConfig.account });
      stages[name] = stage;
      const healthCheck = this.healthCheck(stage, source);
      const bake = this.bake(stage, config, source);
      bake?.addStepDependency(healthCheck);
      // Beta's acceptance gate (config.integrationTests): the end-to-end suite once the API answers.
      const integrationTests = integrationTestsStep({ pipelineStack: this, stage, config, input: source });
      integrationTests?.addStepDependency(healthCheck);
      if (bake) namedRoles.push([bake, bakeStepRoleName(name)]);
      if (integrationTests) namedRoles.push([integrationTests, integrationTestsStepRoleName(name)]);
      this.pipeline.addStage(stage, {
        // The change review and guard (staging, prod), then prod's approval, which links its report.
        pre: preDeploySteps({
          pipelineStack: this,
          config,
          input: source,
          cloudAssembly: this.pipeline.synth,
          commit,
        }),
        post: [healthCheck, ...(integrationTests ? [integrationTests] : []), ...(bake ? [bake] : [])],
      });
    }
    this.stages = stages;

    // Build now (not at synth) so the generated projects and roles can be acknowledged.
    this.pipeline.buildPipeline();
    for (const [step, roleName] of namedRoles) nameStepRole(step, roleName);
    acknowledgePipelineFindings(this.pipeline);
    hardenArtifactStore(this.pipeline);
    this.notifications = new PipelineNotifications(this, 'PipelineNotifications', {
      pipeline: this.pipeline.pipeline,
      email: pipelineConfig.notificationEmail,
    });
    this.deliveryMetrics = new DeliveryMetrics(this, 'DeliveryMetrics', {
      pipeline: this.pipeline.pipeline,
      pipelineName: pipelineConfig.pipelineName,
    });
  }

  /**
   * Where the config asks for a bake time: watches the stage's alarms its config names
   * (`bakeAlarms`, as `<env>-<alarm>`) for that long, through the stage's bake role; any alarm in
   * ALARM, or missing, fails the step and so the execution.
   */
  private bake(
    stage: AppStage,
    config: EnvironmentConfig,
    source: pipelines.CodePipelineSource
  ): pipelines.CodeBuildStep | undefined {
    if (config.bakeTime.toSeconds() === 0) return undefined;
    const roleArnOutput = stage.monitoring.bakeRoleArnOutput;
    if (!roleArnOutput) {
      throw new Error(`${config.name} has a bake time but its Monitoring stack has no bake role`);
    }
    return new pipelines.CodeBuildStep('Bake', {
      input: source,
      envFromCfnOutputs: { BAKE_ROLE_ARN: roleArnOutput },
      env: {
        BAKE_REGION: config.region,
        BAKE_ALARM_NAMES: config.bakeAlarms.map((alarm) => `${config.name}-${alarm}`).join(','),
        BAKE_DURATION_SECONDS: String(config.bakeTime.toSeconds()),
      },
      // The Node.js of the synth step (package.json engines), not the image's default.
      partialBuildSpec: codebuild.BuildSpec.fromObject({
        phases: { install: { 'runtime-versions': { nodejs: BAKE_NODEJS_VERSION } } },
      }),
      // The lockfile's SDK clients and tsx; no install scripts needed to run a TypeScript file.
      installCommands: ['npm ci --ignore-scripts --no-audit --no-fund'],
      commands: [`npx tsx ${BAKE_SCRIPT}`],
      timeout: config.bakeTime.plus(BAKE_STEP_TIMEOUT_MARGIN),
      rolePolicyStatements: [
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: [
            this.formatArn({
              service: 'iam',
              region: '',
              account: config.account,
              resource: 'role',
              resourceName: bakeRoleName(config.name),
            }),
          ],
        }),
      ],
    });
  }

  /** Calls the stage's /health with bounded retries; a failure stops the pipeline there. */
  private healthCheck(stage: AppStage, source: pipelines.CodePipelineSource): pipelines.ShellStep {
    return new pipelines.ShellStep('HealthCheck', {
      input: source,
      envFromCfnOutputs: { [HEALTH_CHECK_URL_VARIABLE]: stage.apiUrl },
      commands: [`node ${HEALTH_CHECK_SCRIPT}`],
    });
  }
}
