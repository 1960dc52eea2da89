import { DefaultStackSynthesizer, Duration, type Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { CHANGE_GUARD } from '../config/change-guard';
import { type EnvironmentConfig } from '../config';

/** Runs the guard from the repository checkout (after `npm ci`), on the synth step's assembly. */
export const CHANGE_REVIEW_SCRIPT = 'lib/pipeline/scripts/change-review.ts';
/** Where the synth step's cloud assembly is placed in the step's checkout. */
export const CHANGE_REVIEW_ASSEMBLY_DIR = 'review-assembly';
/** The step's output artifact (encrypted with the pipeline's artifact key): the report. */
export const CHANGE_REVIEW_REPORT_DIR = 'change-review';
/** The step's build page (its log holds the report, its artifacts the file): the approval links it. */
export const CHANGE_REVIEW_URL_VARIABLE = 'REVIEW_URL';
export const CHANGE_REVIEW_NODEJS_VERSION = 22;
/** `npm ci` and a GetTemplate per stack; anything longer is hung. */
export const CHANGE_REVIEW_TIMEOUT = Duration.minutes(15);

/**
 * The bootstrap's read-only lookup role of an account and region: the only role the step assumes.
 * It trusts the pipeline account (bootstrapped with `--trust`), and may read templates, not change them.
 */
export function lookupRoleArn(stack: Stack, config: EnvironmentConfig): string {
  return stack.formatArn({
    service: 'iam',
    region: '',
    account: config.account,
    resource: 'role',
    resourceName: `cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-lookup-role-${config.account}-${config.region}`,
  });
}

export interface ChangeReviewStepProps {
  /** The pipeline's stack: the step's role lives there. */
  readonly pipelineStack: Stack;
  readonly config: EnvironmentConfig;
  /** The repository checkout: the script and package-lock.json. */
  readonly input: pipelines.IFileSetProducer;
  /** The synth step: its cloud assembly holds the new templates. */
  readonly cloudAssembly: pipelines.IFileSetProducer;
  /** The commit reviewed (the source's CommitId variable), named in the report. */
  readonly commit: string;
}

/**
 * Where the config asks for the guard (lib/config/change-guard.ts): a step before the stage's stacks
 * change that compares each with the template deployed in the environment's account, publishes the
 * report and fails the execution on a replaced or removed stateful resource not on the allow-list.
 */
export function changeReviewStep(props: ChangeReviewStepProps): pipelines.CodeBuildStep | undefined {
  const { config } = props;
  if (!CHANGE_GUARD[config.name].guard) return undefined;
  return new pipelines.CodeBuildStep('ChangeReview', {
    input: props.input,
    additionalInputs: { [CHANGE_REVIEW_ASSEMBLY_DIR]: props.cloudAssembly },
    env: {
      REVIEW_STAGE: config.name,
      REVIEW_ASSEMBLY_DIR: CHANGE_REVIEW_ASSEMBLY_DIR,
      REVIEW_ROLE_ARN: lookupRoleArn(props.pipelineStack, config),
      REVIEW_REGION: config.region,
      REVIEW_REPORT_DIR: CHANGE_REVIEW_REPORT_DIR,
      REVIEW_COMMIT: props.commit,
    },
    partialBuildSpec: codebuild.BuildSpec.fromObject({
      phases: { install: { 'runtime-versions': { nodejs: CHANGE_REVIEW_NODEJS_VERSION } } },
    }),
    installCommands: ['npm ci --ignore-scripts --no-audit --no-fund'],
    commands: [
      `export ${CHANGE_REVIEW_URL_VARIABLE}="$CODEBUILD_BUILD_URL"`,
      `npx tsx ${CHANGE_REVIEW_SCRIPT}`,
    ],
    primaryOutputDirectory: CHANGE_REVIEW_REPORT_DIR,
    timeout: CHANGE_REVIEW_TIMEOUT,
    rolePolicyStatements: [
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [lookupRoleArn(props.pipelineStack, config)],
      }),
    ],
  });
}

/** The approval's comment: what was reviewed, where the report is, what the approval means. */
export function prodApprovalComment(commit: string): string {
  return (
    `Approve commit ${commit} for prod. The ChangeReview action above compared every prod stack with the ` +
    'template deployed in prod and passed the destructive-change guard (no stateful resource replaced ' +
    'or removed, or only allow-listed ones); its report (the review URL: added / modified / removed ' +
    'resources, replacements, IAM and security-group changes) is what this approval deploys. Staging ' +
    'deployed this commit and passed its post-deploy checks in this execution; its alarms are quiet ' +
    '(CloudWatch dashboard staging-system-overview).'
  );
}

/** The approval's id: the prod stage waits here (docs/operations.md). */
export const PROD_APPROVAL_ID = 'PromoteToProd';

/**
 * A manual approval whose comment and review URL may name other steps' variables (the commit, the
 * review's build URL): CDK Pipelines gives a producing step its variables namespace only when a
 * consumer declares the outputs it references, which ManualApprovalStep itself does not.
 */
class ReviewedApprovalStep extends pipelines.ManualApprovalStep {
  constructor(id: string, props: pipelines.ManualApprovalStepProps) {
    super(id, props);
    this.discoverReferencedOutputs({ comment: props.comment, reviewUrl: props.reviewUrl });
  }
}

/**
 * What runs before a stage's stacks change: the change review (where the config asks for the guard),
 * then the manual approval (where the config asks for one), which links the review's report and
 * waits for it: a blocked review fails the execution before anyone is asked to approve.
 */
export function preDeploySteps(props: ChangeReviewStepProps): pipelines.Step[] {
  const review = changeReviewStep(props);
  if (!props.config.requiresApproval) return review ? [review] : [];
  const approval = new ReviewedApprovalStep(PROD_APPROVAL_ID, {
    comment: prodApprovalComment(props.commit),
    reviewUrl: review?.exportedVariable(CHANGE_REVIEW_URL_VARIABLE),
  });
  if (!review) return [approval];
  approval.addStepDependency(review);
  return [review, approval];
}
