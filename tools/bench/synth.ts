import * as fs from 'node:fs';
import * as path from 'node:path';
import { median, timed, type TimedRun } from './stats';

const BENCH_APP = 'node --import tsx tools/bench/synth-app.ts';

/** The floor, the floor plus one step each, and the real thing: cdk.json's app (bin/app.ts). */
export const SYNTH_VARIANTS = [
  { id: 'floor', label: 'floor: no bundling, no validation, no nag', app: BENCH_APP },
  { id: 'bundling', label: 'floor + bundling', app: `${BENCH_APP} bundling` },
  { id: 'validation', label: 'floor + CloudFormation validation', app: `${BENCH_APP} validation` },
  { id: 'nag', label: 'floor + cdk-nag gate', app: `${BENCH_APP} nag` },
  { id: 'full', label: 'full `npx cdk synth` (bin/app.ts)', app: undefined },
] as const;
export type SynthVariantId = (typeof SYNTH_VARIANTS)[number]['id'];

export interface SynthResult {
  readonly wallS: Record<SynthVariantId, number>;
  readonly maxRssKb: Record<SynthVariantId, number>;
  /** The first full synth's cloud assembly (for the bundles and the pipeline's shape). */
  readonly fullAssembly: string;
  readonly failures: readonly string[];
}

/** Every variant `reps` times, round robin, so a change in machine load hits all alike. */
export function benchSynth(workDir: string, reps: number, log: (m: string) => void): SynthResult {
  const runs: Array<TimedRun & { readonly id: SynthVariantId }> = [];
  const env = { ...process.env };
  // Set by an enclosing cdk command, they would change what the runs do.
  for (const name of ['CDK_VALIDATION', 'CDK_OUTDIR', 'CDK_CONTEXT_JSON']) delete env[name];
  const fullAssembly = path.join(workDir, 'synth', 'full-1');
  for (let rep = 1; rep <= reps; rep++) {
    for (const { id, app } of SYNTH_VARIANTS) {
      const out = path.join(workDir, 'synth', `${id}-${rep}`);
      fs.rmSync(out, { recursive: true, force: true });
      const args = ['cdk', 'synth', '-q', '-o', out, ...(app ? ['--app', app] : [])];
      const run = timed('npx', args, path.join(workDir, 'logs', `synth-${id}-${rep}.log`), env);
      runs.push({ ...run, id });
      log(`synth ${id} ${rep}/${reps}: ${run.wallS.toFixed(1)} s, exit ${run.status}`);
      if (out !== fullAssembly) fs.rmSync(out, { recursive: true, force: true });
    }
  }
  const per = (pick: (run: TimedRun) => number) =>
    Object.fromEntries(
      SYNTH_VARIANTS.map(({ id }) => [id, median(runs.filter((run) => run.id === id).map(pick))])
    ) as Record<SynthVariantId, number>;
  return {
    wallS: per((run) => run.wallS),
    maxRssKb: per((run) => run.maxRssKb),
    fullAssembly,
    failures: runs
      .filter((run) => run.status !== 0)
      .map((run) => `${run.id} exited ${run.status}: ${run.log}`),
  };
}

interface Template {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}
interface PipelineStage {
  readonly Name: string;
  readonly Actions: ReadonlyArray<{ readonly ActionTypeId: { readonly Provider: string } }>;
}

/** Stages, actions and CodeBuild projects of the synthesized pipeline. */
export function pipelineShape(assembly: string) {
  const file = path.join(assembly, 'PipelineStack.template.json');
  const resources = Object.values((JSON.parse(fs.readFileSync(file, 'utf8')) as Template).Resources);
  const pipeline = resources.find((resource) => resource.Type === 'AWS::CodePipeline::Pipeline');
  const stages = (pipeline?.Properties?.Stages ?? []) as readonly PipelineStage[];
  return {
    stages: stages.map((stage) => `${stage.Name} ${stage.Actions.length}`),
    actions: stages.reduce((sum, stage) => sum + stage.Actions.length, 0),
    codeBuildProjects: resources.filter((resource) => resource.Type === 'AWS::CodeBuild::Project').length,
  };
}
