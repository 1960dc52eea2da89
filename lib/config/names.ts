/** Names shared by stacks, pipeline steps and functions: each defined once, here or below. */
export { AUTHORIZER_METRICS, METRIC_NAMESPACES, SERVICE_NAMES } from '../../functions/shared/contracts';
export { TABLE_SCHEMA } from '../../functions/shared/table-schema';
export { ADMIN_GROUP } from '../../functions/shared/caller';

/**
 * The bake role's name in an environment's account: fixed, because the pipeline account's step
 * must be allowed to assume it by ARN before the role exists (a pipeline cannot reference a
 * stage's resources).
 */
export function bakeRoleName(environment: string): string {
  return `${environment}-pipeline-bake`;
}

/**
 * The role of the pipeline's bake step for an environment, in the pipeline account: fixed, because
 * the environment's bake role trusts exactly this role and a stage cannot reference the pipeline's
 * resources.
 */
export function bakeStepRoleName(environment: string): string {
  return `pipeline-${environment}-bake-step`;
}

/** The role of the pipeline's integration-test step for an environment (see bakeStepRoleName). */
export function integrationTestsStepRoleName(environment: string): string {
  return `pipeline-${environment}-integration-tests-step`;
}
