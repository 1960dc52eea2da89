import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PipelineShape {
  readonly stages: ReadonlyArray<{ readonly name: string; readonly actions: number }>;
  readonly actions: number;
  /** AWS::CodeBuild::Project resources in the pipeline stack. */
  readonly codeBuildProjects: number;
  readonly codeBuildActions: number;
  readonly assetPublishing: string;
}

interface Template {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}
interface PipelineStage {
  Name: string;
  Actions: Array<{ Name: string; ActionTypeId: { Provider: string } }>;
}

/** Counts from the synthesized PipelineStack template (and the build specs beside it in `assemblyDir`). */
export function pipelineShape(assemblyDir: string): PipelineShape {
  const templateFile = path.join(assemblyDir, 'PipelineStack.template.json');
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as Template;
  const resources = Object.values(template.Resources ?? {});
  const pipeline = resources.find((resource) => resource.Type === 'AWS::CodePipeline::Pipeline');
  if (!pipeline) throw new Error(`${templateFile}: no AWS::CodePipeline::Pipeline`);
  const stages = (pipeline.Properties?.Stages ?? []) as PipelineStage[];
  const actions = stages.flatMap((stage) => stage.Actions);
  const assets = stages.find((stage) => stage.Name === 'Assets');
  const projects = resources.filter((resource) => resource.Type === 'AWS::CodeBuild::Project');
  // A publishing project's build spec (a file in the assembly) runs one `cdk-assets publish` per asset.
  const publishCommands = projects
    .map((project) => (project.Properties?.Source as { BuildSpec?: unknown } | undefined)?.BuildSpec)
    .map((spec) => {
      if (typeof spec !== 'string') return '';
      const file = path.join(assemblyDir, spec);
      return /^[\w.-]+$/.test(spec) && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : spec;
    })
    .reduce((count, text) => count + (text.match(/cdk-assets [^\n]*? publish /g) ?? []).length, 0);
  const assetPublishing = !assets
    ? 'no Assets stage'
    : assets.Actions.length === 1
      ? `one job for all assets (action ${assets.Actions[0]!.Name}, ${publishCommands} cdk-assets publish commands): publishAssetsInParallel false`
      : `one action per asset (${assets.Actions.length} actions): publishAssetsInParallel true`;
  return {
    stages: stages.map((stage) => ({ name: stage.Name, actions: stage.Actions.length })),
    actions: actions.length,
    codeBuildProjects: projects.length,
    codeBuildActions: actions.filter((action) => action.ActionTypeId.Provider === 'CodeBuild').length,
    assetPublishing,
  };
}
