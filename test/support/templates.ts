import { Template } from 'aws-cdk-lib/assertions';
import type { AssemblyManifest } from 'aws-cdk-lib/cloud-assembly-schema';
import { CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import type { EnvironmentName } from '../../lib/config';
import { testAssemblyDir } from './test-assembly';

/**
 * The one way stack tests read templates: from the PipelineStack app the jest global setup
 * synthesized for this run (test-assembly.ts; bundling, validation and the nag gate off, as
 * `npm run diagram` synthesizes it). Every environment's stage is a nested assembly of it, with the
 * stacks exactly as the pipeline deploys them. Tests that need construct objects (cdk-nag, a
 * construct's logical id, an app with other context) build their own app once per file instead.
 */

/**
 * A value read from a template: untyped JSON, as `Template.toJSON()` and `findResources` give it,
 * checked by the assertions that read it (no hand-typed CloudFormation interfaces).
 */
export type TemplateValue = ReturnType<Template['toJSON']>[string];

/** The stacks of an AppStage (stages/app-stage.ts), by construct id. */
export type StageStackId = 'Networking' | 'Database' | 'ServerlessApi' | 'Monitoring';

/** The id of the app's one top-level stack (bin/app.ts). */
const PIPELINE_STACK_ID = 'PipelineStack';

let assembly: CloudAssembly | undefined;
function pipelineAssembly(): CloudAssembly {
  assembly ??= new CloudAssembly(testAssemblyDir());
  return assembly;
}

const templates = new WeakMap<CloudFormationStackArtifact, Template>();
/** Parsed when first asked for: a test file may read one stack of one stage. */
function templateOf(artifact: CloudFormationStackArtifact): Template {
  let template = templates.get(artifact);
  if (!template) {
    template = Template.fromJSON(artifact.template as Record<string, unknown>);
    templates.set(artifact, template);
  }
  return template;
}

/** The PipelineStack's own template (the pipeline, its notifications and delivery metrics). */
export function pipelineTemplate(): Template {
  return templateOf(pipelineAssembly().getStackArtifact(PIPELINE_STACK_ID));
}

/**
 * The nested assembly of an environment's stage. The pipeline's stage ids are the environment names
 * capitalized (lib/pipeline/pipeline-stack.ts stageId): `PipelineStack/Dev` holds dev.
 */
function stageAssembly(env: EnvironmentName): CloudAssembly {
  const found = pipelineAssembly().nestedAssemblies.filter(
    (nested) => nested.displayName.toLowerCase() === `${PIPELINE_STACK_ID}/${env}`.toLowerCase()
  );
  if (found.length !== 1) {
    throw new Error(`expected one stage assembly of ${env}, found ${found.length} in ${assembly?.directory}`);
  }
  return found[0]!.nestedAssembly;
}

/**
 * The cloud assembly manifest of an environment's stage (`missing` lists context lookups), as
 * `stage.synth().manifest` gives it.
 */
export function stageManifest(env: EnvironmentName): AssemblyManifest {
  return stageAssembly(env).manifest;
}

export interface StageStack {
  /** The stack's construct id in the stage: `Networking`, ... */
  readonly id: string;
  readonly template: Template;
  readonly terminationProtection: boolean;
}

/**
 * Every stack of an environment's AppStage (stages/app-stage.ts), whatever stacks it gains, in the
 * stage's deployment order, with its template.
 */
export function stageStacks(env: EnvironmentName): StageStack[] {
  return stageAssembly(env).stacks.map((artifact) => ({
    // The display name is the construct path: PipelineStack/Dev/Networking.
    id: artifact.hierarchicalId.split('/').pop()!,
    get template(): Template {
      return templateOf(artifact);
    },
    terminationProtection: artifact.terminationProtection ?? false,
  }));
}

/** The template of one stack of an environment's AppStage: see {@link stageStacks}. */
export function stageTemplate(env: EnvironmentName, stack: StageStackId): Template {
  const found = stageStacks(env).find((s) => s.id === stack);
  if (!found) throw new Error(`no stack ${env}/${stack} in this run's assembly`);
  return found.template;
}
