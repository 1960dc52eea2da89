import { type EnvironmentName } from './environment-config';

/**
 * A destructive change to a stateful resource that a reviewer has accepted: the one way past the
 * destructive-change guard (lib/pipeline/guard). Reviewed like any other change; remove the entry
 * once the change has deployed, so the next one is stopped again.
 */
export interface DestructiveChangeAllowance {
  /** The environment whose deployment may replace or remove the resource. */
  readonly stage: EnvironmentName;
  /** The stack's construct id in the stage (stages/app-stage.ts): `Networking`, `Database`, ... */
  readonly stack: string;
  /** The resource's logical id in that stack's template. */
  readonly logicalId: string;
  /** Why losing the resource (or its data) is acceptable: shown in the guard's report. */
  readonly reason: string;
}

/** Where the pipeline compares the new templates with the deployed ones before deploying. */
export interface ChangeGuardConfig {
  /** Fail the execution, before any stack of the stage changes, on a destructive change. */
  readonly guard: boolean;
}

export const CHANGE_GUARD: Record<EnvironmentName, ChangeGuardConfig> = {
  // Dev holds test data only and is rebuilt freely; its deploy shows destructive changes first.
  dev: { guard: false },
  staging: { guard: true },
  prod: { guard: true },
};

/** Empty: no destructive change is accepted today. */
export const DESTRUCTIVE_CHANGE_ALLOW_LIST: readonly DestructiveChangeAllowance[] = [];
