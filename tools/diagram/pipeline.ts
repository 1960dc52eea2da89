import { type AssemblyModel, type CfnResource, compareText, isRecord } from './model';
import { edge, flowchart, mermaidId, node, type NodeShape, subgraph } from './mermaid';

export interface PipelineAction {
  readonly name: string;
  /** CodePipeline action category: Source, Build, Deploy, Approval, Test, Invoke. */
  readonly category: string;
  readonly provider: string;
  readonly runOrder: number;
}

export interface PipelineStage {
  readonly name: string;
  /** Actions grouped by run order: a group starts when the previous one has finished. */
  readonly steps: readonly (readonly PipelineAction[])[];
}

function parseAction(raw: unknown): PipelineAction {
  const action = isRecord(raw) ? raw : {};
  const type = isRecord(action.ActionTypeId) ? action.ActionTypeId : {};
  return {
    name: String(action.Name),
    category: String(type.Category),
    provider: String(type.Provider),
    runOrder: typeof action.RunOrder === 'number' ? action.RunOrder : 1,
  };
}

/** The stages of an `AWS::CodePipeline::Pipeline`, in order, their actions grouped by run order. */
export function pipelineStages(pipeline: CfnResource): PipelineStage[] {
  const stages = Array.isArray(pipeline.properties.Stages) ? pipeline.properties.Stages : [];
  return stages.map((raw) => {
    const stage = isRecord(raw) ? raw : {};
    const actions = (Array.isArray(stage.Actions) ? stage.Actions : []).map(parseAction);
    const runOrders = [...new Set(actions.map((a) => a.runOrder))].sort((a, b) => a - b);
    return {
      name: String(stage.Name),
      steps: runOrders.map((order) =>
        actions.filter((a) => a.runOrder === order).sort((a, b) => compareText(a.name, b.name))
      ),
    };
  });
}

/** The one CodePipeline of the top-level stacks (CDK Pipelines creates exactly one). */
export function findPipeline(model: AssemblyModel): CfnResource {
  const pipelines = model.stacks
    .filter((s) => s.stage === undefined)
    .flatMap((s) =>
      Object.keys(s.template.resources)
        .sort()
        .map((id) => s.template.resources[id])
        .filter((r): r is CfnResource => r?.type === 'AWS::CodePipeline::Pipeline')
    );
  const [pipeline] = pipelines;
  if (!pipeline || pipelines.length > 1) {
    throw new Error(
      `Expected one AWS::CodePipeline::Pipeline in the top-level stacks, found ${pipelines.length}`
    );
  }
  return pipeline;
}

const SHAPE_BY_CATEGORY: Record<string, NodeShape> = {
  Source: 'stadium',
  Build: 'rect',
  Test: 'subroutine',
  Deploy: 'round',
  Approval: 'diamond',
  Invoke: 'subroutine',
};

const PROVIDER_LABELS: Record<string, string> = {
  CodeStarSourceConnection: 'CodeConnections source',
  CodeBuild: 'CodeBuild',
  CloudFormation: 'CloudFormation change set',
  Manual: 'manual approval',
};

function stepLabel(step: readonly PipelineAction[]): string[] {
  const providers = [...new Set(step.map((a) => PROVIDER_LABELS[a.provider] ?? a.provider))];
  return [...step.map((a) => a.name), `(${providers.join(', ')})`];
}

export function pipelineStepId(stage: string, index: number): string {
  return mermaidId('pipeline', stage, String(index + 1));
}

export function pipelineStageId(stage: string): string {
  return mermaidId('pipeline', 'stage', stage);
}

/**
 * Stages top to bottom, each a row of its run-order steps; a stage starts when the previous one
 * has succeeded, so the stages are chained.
 */
export function renderPipeline(stages: readonly PipelineStage[]): string {
  const body: string[] = [];
  stages.forEach((stage) => {
    const ids = stage.steps.map((_, i) => pipelineStepId(stage.name, i));
    const nodes = stage.steps.map((step, i) =>
      node(ids[i] ?? '', stepLabel(step), SHAPE_BY_CATEGORY[step[0]?.category ?? ''] ?? 'rect')
    );
    const chain = ids.slice(1).map((id, i) => edge(ids[i] ?? '', id));
    body.push(...subgraph(pipelineStageId(stage.name), stage.name, [...nodes, ...chain], 'LR'));
  });
  stages.slice(1).forEach((stage, i) => {
    body.push(edge(pipelineStageId(stages[i]?.name ?? ''), pipelineStageId(stage.name)));
  });
  return flowchart('TB', body);
}
