import * as iam from 'aws-cdk-lib/aws-iam';
import type * as pipelines from 'aws-cdk-lib/pipelines';

/**
 * Gives the role CDK Pipelines generated for a step's CodeBuild project a fixed name, the one the
 * environment's role trusts (`aws:PrincipalArn`, lib/constructs/trusted-role-principal.ts): a stage
 * cannot reference the pipeline stack's resources, so both sides derive the name from
 * lib/config/names.ts. The generated role keeps its place in the tree (and its logical id and the
 * acknowledgements on its project), rather than a role passed in from outside the project.
 * Call after `buildPipeline()`, when the step has its project.
 */
export function nameStepRole(step: pipelines.CodeBuildStep, roleName: string): void {
  const role = step.project.role;
  const cfnRole = role?.node.defaultChild;
  if (!(cfnRole instanceof iam.CfnRole)) {
    throw new Error(
      `${step.id}: expected the role CDK Pipelines generates, got ${role?.node.path ?? 'none'}`
    );
  }
  cfnRole.roleName = roleName;
}
