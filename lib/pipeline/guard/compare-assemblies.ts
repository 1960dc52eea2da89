import { parseArgs } from 'node:util';
import { DESTRUCTIVE_CHANGE_ALLOW_LIST } from '../../config/change-guard';
import { STATEFUL_RESOURCE_TYPES } from '../../config/stateful-resources';
import { pairAssemblies, readAssemblyStacks } from './assembly';
import { blockingChanges, describeDestructiveChange, reviewStack, type GuardOptions } from './engine';
import { renderReport } from './report';

export const GUARD_USAGE = 'usage: npm run guard -- --baseline <cdk.out> --candidate <cdk.out>';

export interface GuardRun {
  readonly exitCode: 0 | 1 | 2;
  /** The report (stdout). */
  readonly report: string;
  /** The blocking changes, one line each, or the usage error (stderr). */
  readonly errors: string;
}

export const DEFAULT_GUARD_OPTIONS: GuardOptions = {
  statefulTypes: STATEFUL_RESOURCE_TYPES,
  allowList: DESTRUCTIVE_CHANGE_ALLOW_LIST,
};

/**
 * `npm run guard`: the destructive-change guard of the pipeline, offline, on two synthesized
 * assemblies (main's and the branch's). Exit 1 names each replaced or removed stateful resource.
 */
export function runGuard(args: readonly string[], options: GuardOptions = DEFAULT_GUARD_OPTIONS): GuardRun {
  let baseline: string | undefined;
  let candidate: string | undefined;
  try {
    ({ baseline, candidate } = parseArgs({
      args: [...args],
      options: { baseline: { type: 'string' }, candidate: { type: 'string' } },
      strict: true,
    }).values);
  } catch (error) {
    return { exitCode: 2, report: '', errors: `${(error as Error).message}\n${GUARD_USAGE}\n` };
  }
  if (!baseline || !candidate) return { exitCode: 2, report: '', errors: `${GUARD_USAGE}\n` };
  const reviews = pairAssemblies(readAssemblyStacks(baseline), readAssemblyStacks(candidate)).map((c) =>
    reviewStack(c, options)
  );
  const report = renderReport({ title: `${candidate} against ${baseline}` }, reviews);
  const blocking = blockingChanges(reviews);
  return {
    exitCode: blocking.length > 0 ? 1 : 0,
    report,
    errors: blocking.map((change) => `${describeDestructiveChange(change)}\n`).join(''),
  };
}
