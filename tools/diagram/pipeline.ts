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

/** What each shape means, for the prose: stated once instead of on every box. */
const SHAPE_LEGEND: Record<string, string> = {
  Source: 'a stadium is the source',
  Build: 'a rectangle is a CodeBuild project',
  Test: 'a double-sided box is a test action',
  Deploy:
    'a rounded box is one deployment wave: the change sets of its stacks are created, then executed, in parallel',
  Approval: 'a diamond is a manual approval',
  Invoke: 'a double-sided box is an invoke action',
};

/** One box of the diagram: a run-order step, or a deployment wave (its Prepare and Deploy steps). */
export interface PipelineBox {
  readonly category: string;
  /** Action names, or for a wave the stacks it deploys. */
  readonly lines: readonly string[];
}

/** `Networking.Prepare` → `Networking`: the stack a CDK Pipelines deploy action belongs to. */
const stackOfAction = (name: string): string => name.replace(/\.[^.]*$/, '');

/**
 * The boxes of a stage: consecutive deploy steps acting on the same stacks (CDK Pipelines' Prepare
 * then Deploy run orders) become one wave; every other step is a box of its own.
 */
export function pipelineBoxes(stage: PipelineStage): PipelineBox[] {
  const boxes: PipelineBox[] = [];
  let previousWave: string | undefined;
  for (const step of stage.steps) {
    const category = step[0]?.category ?? '';
    if (step.every((a) => a.category === 'Deploy')) {
      const stacks = [...new Set(step.map((a) => stackOfAction(a.name)))];
      const key = stacks.join('\n');
      if (key !== previousWave) boxes.push({ category: 'Deploy', lines: stacks });
      previousWave = key;
      continue;
    }
    previousWave = undefined;
    boxes.push({ category, lines: step.map((a) => a.name) });
  }
  return boxes;
}

/** The prose sentence saying what the shapes of the drawn stages mean. */
export function pipelineLegend(stages: readonly PipelineStage[]): string {
  const categories = new Set(stages.flatMap((s) => pipelineBoxes(s).map((b) => b.category)));
  const phrases = Object.keys(SHAPE_LEGEND)
    .filter((c) => categories.has(c))
    .map((c) => SHAPE_LEGEND[c]);
  return `Shapes: ${phrases.join('; ')}.`;
}

export function pipelineStepId(stage: string, index: number): string {
  return mermaidId('pipeline', stage, String(index + 1));
}

export function pipelineStageId(stage: string): string {
  return mermaidId('pipeline', 'stage', stage);
}

export const PIPELINE_ENVIRONMENTS_ID = mermaidId('pipeline', 'environments');

function renderStage(stage: PipelineStage): string[] {
  const boxes = pipelineBoxes(stage);
  const ids = boxes.map((_, i) => pipelineStepId(stage.name, i));
  const nodes = boxes.map((box, i) =>
    node(ids[i] ?? '', box.lines, SHAPE_BY_CATEGORY[box.category] ?? 'rect')
  );
  const chain = ids.slice(1).map((id, i) => edge(ids[i] ?? '', id));
  return subgraph(pipelineStageId(stage.name), stage.name, [...nodes, ...chain], 'TB');
}

/**
 * Each stage a column of its boxes. The stages that deploy stacks (one per environment) stand side
 * by side, left to right, below the stages that build: a stage starts when the previous one has
 * succeeded, so the stages are chained.
 */
export function renderPipeline(stages: readonly PipelineStage[]): string {
  const firstDeploy = stages.findIndex((s) => pipelineBoxes(s).some((b) => b.category === 'Deploy'));
  const split = firstDeploy < 0 || firstDeploy === stages.length - 1 ? stages.length : firstDeploy;
  const lead = stages.slice(0, split);
  const environments = stages.slice(split);
  const chain = (list: readonly PipelineStage[]): string[] =>
    list.slice(1).map((stage, i) => edge(pipelineStageId(list[i]?.name ?? ''), pipelineStageId(stage.name)));
  const body = [...lead.flatMap(renderStage), ...chain(lead)];
  if (environments.length > 0) {
    body.push(
      ...subgraph(
        PIPELINE_ENVIRONMENTS_ID,
        'One stage per environment, left to right',
        [...environments.flatMap(renderStage), ...chain(environments)],
        'LR'
      )
    );
    const last = lead[lead.length - 1];
    if (last) body.push(edge(pipelineStageId(last.name), PIPELINE_ENVIRONMENTS_ID));
  }
  return flowchart('TB', body);
}
