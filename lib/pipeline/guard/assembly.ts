import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { type StackComparison, type TemplateJson } from './engine';

/** A stack of a synthesized cloud assembly, nested stage assemblies included. */
export interface AssemblyStack {
  readonly stage: string;
  readonly stack: string;
  readonly stackName: string;
  readonly displayName: string;
  readonly template: TemplateJson;
}

function lastSegment(path: string): string {
  return path.split('/').pop() ?? path;
}

function collect(assembly: CloudAssembly, stage: string, into: AssemblyStack[]): void {
  for (const artifact of assembly.stacks) {
    into.push({
      stage,
      // The construct path (`PipelineStack/Prod/Database`); displayName adds the stack name to it.
      stack: lastSegment(artifact.hierarchicalId),
      stackName: artifact.stackName,
      displayName: artifact.hierarchicalId,
      template: artifact.template as TemplateJson,
    });
  }
  for (const nested of assembly.nestedAssemblies) {
    // A stage's id is its environment's name capitalized (lib/pipeline/pipeline-stack.ts stageId).
    collect(nested.nestedAssembly, lastSegment(nested.displayName).toLowerCase(), into);
  }
}

/** Every stack of the assembly in `dir` (a `cdk.out`), with the stage it belongs to. */
export function readAssemblyStacks(dir: string): AssemblyStack[] {
  const stacks: AssemblyStack[] = [];
  collect(new CloudAssembly(dir), '', stacks);
  return stacks;
}

/** Pairs the stacks of two assemblies by construct path: added and removed stacks included. */
export function pairAssemblies(
  baseline: readonly AssemblyStack[],
  candidate: readonly AssemblyStack[]
): StackComparison[] {
  const before = new Map(baseline.map((stack) => [stack.displayName, stack]));
  const comparisons: StackComparison[] = candidate.map((stack) => ({
    stage: stack.stage,
    stack: stack.stack,
    stackName: stack.stackName,
    displayName: stack.displayName,
    before: before.get(stack.displayName)?.template,
    after: stack.template,
  }));
  const kept = new Set(candidate.map((stack) => stack.displayName));
  for (const stack of baseline) {
    if (kept.has(stack.displayName)) continue;
    comparisons.push({ ...stack, before: stack.template, after: undefined });
  }
  return comparisons;
}
