import { type AssemblyModel, type StackArtifact, isRecord } from './model';

/** What a CloudFormation value points at: a resource of its own template, or another stack's output. */
export type Reference =
  | { readonly kind: 'resource'; readonly logicalId: string }
  | { readonly kind: 'stackOutput'; readonly stackName: string; readonly outputName: string }
  | { readonly kind: 'import'; readonly exportName: string };

/** A resource reached from a value, and whether the value crossed a stack boundary to reach it. */
export interface ResolvedResource {
  readonly stack: StackArtifact;
  readonly logicalId: string;
  readonly crossStack: boolean;
}

/** `${Name}` or `${Name.Attribute}` in an Fn::Sub string. */
const SUB_REFERENCE = /\$\{([A-Za-z0-9]+)[^}]*\}/g;

/** Every Ref, Fn::GetAtt, Fn::Sub `${...}`, Fn::GetStackOutput and Fn::ImportValue inside a value. */
export function findReferences(value: unknown): Reference[] {
  if (Array.isArray(value)) return value.flatMap(findReferences);
  if (!isRecord(value)) return [];
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const ref = value.Ref;
    // Pseudo parameters (AWS::Region) point at nothing in the templates.
    if (typeof ref === 'string') return ref.startsWith('AWS::') ? [] : [{ kind: 'resource', logicalId: ref }];
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string')
      return [{ kind: 'resource', logicalId: getAtt[0] }];
    if (typeof getAtt === 'string') return [{ kind: 'resource', logicalId: getAtt.split('.')[0] ?? getAtt }];
    const output = value['Fn::GetStackOutput'];
    if (isRecord(output) && typeof output.StackName === 'string' && typeof output.OutputName === 'string') {
      return [{ kind: 'stackOutput', stackName: output.StackName, outputName: output.OutputName }];
    }
    const imported = value['Fn::ImportValue'];
    if (typeof imported === 'string') return [{ kind: 'import', exportName: imported }];
    const sub = value['Fn::Sub'];
    const template: unknown = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
    if (typeof template === 'string') {
      const fromString: Reference[] = [...template.matchAll(SUB_REFERENCE)]
        .map((m) => m[1] ?? '')
        .filter((id) => id !== '' && !id.startsWith('AWS'))
        .map((logicalId) => ({ kind: 'resource', logicalId }));
      return [...fromString, ...(Array.isArray(sub) ? findReferences(sub[1]) : [])];
    }
  }
  return Object.values(value).flatMap(findReferences);
}

/** The stack that produces a cross-stack reference (by stack name or export name). */
export function producerOf(model: AssemblyModel, ref: Reference): StackArtifact | undefined {
  if (ref.kind === 'stackOutput') return model.stacks.find((s) => s.stackName === ref.stackName);
  if (ref.kind === 'import')
    return model.stacks.find((s) =>
      Object.values(s.template.outputs).some((o) => o.exportName === ref.exportName)
    );
  return undefined;
}

function outputValue(stack: StackArtifact, ref: Reference): unknown {
  if (ref.kind === 'stackOutput') return stack.template.outputs[ref.outputName]?.value;
  if (ref.kind === 'import')
    return Object.values(stack.template.outputs).find((o) => o.exportName === ref.exportName)?.value;
  return undefined;
}

/**
 * The resources a value points at, following cross-stack references through the producing
 * stack's output to the resource behind it. Parameters and unknown names are skipped.
 */
export function resolveResources(
  model: AssemblyModel,
  stack: StackArtifact,
  value: unknown,
  crossStack = false
): ResolvedResource[] {
  return dedupe(findReferences(value).flatMap((ref) => resolveReference(model, stack, ref, crossStack)));
}

/** The resources one reference of `stack` points at (through the producer's output when cross-stack). */
export function resolveReference(
  model: AssemblyModel,
  stack: StackArtifact,
  ref: Reference,
  crossStack = false
): ResolvedResource[] {
  if (ref.kind === 'resource') {
    return ref.logicalId in stack.template.resources ? [{ stack, logicalId: ref.logicalId, crossStack }] : [];
  }
  const producer = producerOf(model, ref);
  // A producer that points back at the consumer would loop; CloudFormation forbids it anyway.
  if (!producer || producer === stack) return [];
  return resolveResources(model, producer, outputValue(producer, ref), true);
}

function dedupe(resources: readonly ResolvedResource[]): ResolvedResource[] {
  const seen = new Map<string, ResolvedResource>();
  for (const r of resources)
    seen.set(`${r.stack.artifactId}/${r.logicalId}`, seen.get(`${r.stack.artifactId}/${r.logicalId}`) ?? r);
  return [...seen.values()];
}

/** A literal rendering of a string-ish value: `Fn::Join` parts joined, Refs as `{Name}`. */
export function flattenString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRecord(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flattenString).join(join[0]);
    }
    if (typeof value.Ref === 'string') return `{${value.Ref}}`;
  }
  return '{…}';
}

/** Logical ids end in an 8-character hash: `UsersFunctionB70B7E9C` → `UsersFunction`. */
export function friendlyName(logicalId: string): string {
  const withoutHash = logicalId.replace(/[0-9A-F]{8}$/, '');
  return withoutHash.length > 0 ? withoutHash : logicalId;
}
