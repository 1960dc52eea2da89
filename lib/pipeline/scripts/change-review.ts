/**
 * Change review and destructive-change guard: before an environment's stacks change, compare every
 * stack of its stage in the synthesized assembly with the template deployed in its account, write
 * the report (cdk diff's rendering) and fail on a replaced or removed stateful resource that the
 * allow-list (lib/config/change-guard.ts) does not name. Run by the pipeline's ChangeReview step
 * (`npx tsx lib/pipeline/scripts/change-review.ts`, after `npm ci`) in the pipeline account: it
 * reads the templates through the bootstrap's read-only lookup role of the environment's account.
 *
 * Environment:
 *   REVIEW_STAGE           required; the environment's name (`prod`)
 *   REVIEW_ASSEMBLY_DIR    required; the synthesized cloud assembly (the synth step's cdk.out)
 *   REVIEW_ROLE_ARN        required; the lookup role to assume
 *   REVIEW_REGION          required; the environment's region
 *   REVIEW_REPORT_DIR      required; where change-review.md is written (the step's artifact)
 *   REVIEW_COMMIT          the commit reviewed, named in the report
 *
 * Exit codes: 0 no blocking change; 1 a blocking destructive change; 2 misconfigured.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { readAssemblyStacks } from '../guard/assembly';
import { DEFAULT_GUARD_OPTIONS } from '../guard/compare-assemblies';
import { reviewDeployed } from '../guard/review-deployed';

export const CHANGE_REVIEW_REPORT_FILE = 'change-review.md';

function required(name: string): string {
  const value = process.env[name];
  if (!value || value.trim() === '') throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<number> {
  let stage, assemblyDir, roleArn, region, reportDir;
  try {
    stage = required('REVIEW_STAGE');
    assemblyDir = required('REVIEW_ASSEMBLY_DIR');
    roleArn = required('REVIEW_ROLE_ARN');
    region = required('REVIEW_REGION');
    reportDir = required('REVIEW_REPORT_DIR');
  } catch (error) {
    console.error(`change-review: ${(error as Error).message}`);
    return 2;
  }
  const sts = new STSClient({ region });
  const { Credentials: credentials } = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `change-review-${stage}` })
  );
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new Error(`AssumeRole ${roleArn} returned no credentials`);
  }
  const cloudFormation = new CloudFormationClient({
    region,
    credentials: {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    },
  });
  const review = await reviewDeployed({
    ...DEFAULT_GUARD_OPTIONS,
    stage,
    stacks: readAssemblyStacks(assemblyDir),
    // The template as deployed (before transforms), as `cdk diff` compares it.
    getTemplate: (stackName) =>
      cloudFormation.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' })),
    details: [
      `commit: ${process.env.REVIEW_COMMIT ?? 'unknown'}`,
      `deployed templates read through ${roleArn} in ${region}`,
    ],
  });
  fs.mkdirSync(reportDir, { recursive: true });
  fs.writeFileSync(path.join(reportDir, CHANGE_REVIEW_REPORT_FILE), review.report);
  console.log(review.report);
  if (review.blocked) {
    console.error('change-review: FAILED: a stateful resource would be replaced or removed (see above)');
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('change-review: FAILED:', error);
    process.exit(1);
  }
);
