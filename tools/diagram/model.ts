/**
 * The slice of a cloud assembly the diagrams read: every stack (those of nested stage assemblies
 * included) with its manifest facts and its CloudFormation template. Pure: parsing only, no IO.
 */

export interface CfnResource {
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface CfnOutput {
  readonly value: unknown;
  /** `Export.Name` when it is a literal string (what `Fn::ImportValue` matches). */
  readonly exportName?: string;
}

export interface CfnTemplate {
  readonly resources: Readonly<Record<string, CfnResource>>;
  readonly outputs: Readonly<Record<string, CfnOutput>>;
}

export interface StackArtifact {
  /** The manifest's artifact id, e.g. `PipelineStackProdNetworking6AB20A51`. */
  readonly artifactId: string;
  /** The construct path, e.g. `PipelineStack/Prod/Networking`. */
  readonly displayName: string;
  /** The CloudFormation stack name, e.g. `Prod-Networking`. */
  readonly stackName: string;
  /** `aws://account/region`. */
  readonly environment: string;
  /** Artifact ids of the stacks this one deploys after (asset manifests left out). */
  readonly dependencies: readonly string[];
  /** Display name of the nested assembly (the CDK Stage) holding the stack; undefined at top level. */
  readonly stage?: string;
  readonly template: CfnTemplate;
}

export interface AssemblyModel {
  readonly stacks: readonly StackArtifact[];
}

/** Code-point order: unlike localeCompare, the same on every machine and ICU build. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function recordOf(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** Reads the resources and outputs of a template; anything else in it is ignored. */
export function parseTemplate(json: unknown): CfnTemplate {
  const root = recordOf(json);
  const resources: Record<string, CfnResource> = {};
  for (const [id, raw] of Object.entries(recordOf(root.Resources))) {
    const resource = recordOf(raw);
    if (typeof resource.Type !== 'string') throw new Error(`Resource ${id} has no Type`);
    resources[id] = { type: resource.Type, properties: recordOf(resource.Properties) };
  }
  const outputs: Record<string, CfnOutput> = {};
  for (const [name, raw] of Object.entries(recordOf(root.Outputs))) {
    const output = recordOf(raw);
    const exportName = recordOf(output.Export).Name;
    outputs[name] = {
      value: output.Value,
      ...(typeof exportName === 'string' ? { exportName } : {}),
    };
  }
  return { resources, outputs };
}

/** A manifest artifact, reduced to what the assembly reader needs. */
export type ManifestArtifact =
  | {
      readonly kind: 'stack';
      readonly artifactId: string;
      readonly displayName: string;
      readonly stackName: string;
      readonly environment: string;
      readonly dependencies: readonly string[];
      readonly templateFile: string;
    }
  | { readonly kind: 'assembly'; readonly directoryName: string; readonly displayName: string };

/** Lists the stacks and nested assemblies of a `manifest.json`, sorted by artifact id. */
export function parseManifest(json: unknown): ManifestArtifact[] {
  const artifacts = recordOf(recordOf(json).artifacts);
  const stackIds = new Set(
    Object.entries(artifacts)
      .filter(([, a]) => recordOf(a).type === 'aws:cloudformation:stack')
      .map(([id]) => id)
  );
  const result: ManifestArtifact[] = [];
  for (const artifactId of Object.keys(artifacts).sort()) {
    const artifact = recordOf(artifacts[artifactId]);
    const properties = recordOf(artifact.properties);
    if (artifact.type === 'aws:cloudformation:stack') {
      const dependencies = Array.isArray(artifact.dependencies) ? artifact.dependencies : [];
      result.push({
        kind: 'stack',
        artifactId,
        displayName: typeof artifact.displayName === 'string' ? artifact.displayName : artifactId,
        stackName: typeof properties.stackName === 'string' ? properties.stackName : artifactId,
        environment: typeof artifact.environment === 'string' ? artifact.environment : '',
        dependencies: dependencies
          .filter((d): d is string => typeof d === 'string' && stackIds.has(d))
          .sort(),
        templateFile: String(properties.templateFile),
      });
    } else if (artifact.type === 'cdk:cloud-assembly') {
      const directoryName = String(properties.directoryName);
      result.push({
        kind: 'assembly',
        directoryName,
        displayName: typeof properties.displayName === 'string' ? properties.displayName : directoryName,
      });
    }
  }
  return result;
}

/** The last segment of a construct path: `PipelineStack/Prod/Networking` → `Networking`. */
export function shortName(displayName: string): string {
  return displayName.split('/').pop() ?? displayName;
}

/** The stacks of one CDK Stage, e.g. `Prod`, sorted so every stack follows those it depends on. */
export function stageStacks(model: AssemblyModel, stage: string): StackArtifact[] {
  const inStage = model.stacks.filter((s) => s.stage !== undefined && shortName(s.stage) === stage);
  if (inStage.length === 0) {
    const stages = [...new Set(model.stacks.flatMap((s) => (s.stage ? [shortName(s.stage)] : [])))];
    throw new Error(`No stage ${stage} in the cloud assembly; stages: ${stages.sort().join(', ')}`);
  }
  return deploymentOrder(inStage);
}

/** Topological order by manifest dependencies, ties broken by display name (deterministic). */
export function deploymentOrder(stacks: readonly StackArtifact[]): StackArtifact[] {
  const remaining = [...stacks].sort((a, b) => compareText(a.displayName, b.displayName));
  const ids = new Set(remaining.map((s) => s.artifactId));
  const done = new Set<string>();
  const ordered: StackArtifact[] = [];
  while (remaining.length > 0) {
    const index = remaining.findIndex((s) => s.dependencies.every((d) => done.has(d) || !ids.has(d)));
    if (index < 0)
      throw new Error(`Dependency cycle among ${remaining.map((s) => s.displayName).join(', ')}`);
    const [next] = remaining.splice(index, 1);
    if (next) {
      ordered.push(next);
      done.add(next.artifactId);
    }
  }
  return ordered;
}
