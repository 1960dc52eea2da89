import { findReferences, producerOf, resolveReference } from './intrinsics';
import { type AssemblyModel, type StackArtifact, shortName } from './model';
import { edge, flowchart, mermaidId, node, packLines } from './mermaid';

/** Resource types worth naming in a stack's box or on a reference, with their singular label. */
const TYPE_LABELS: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC': 'VPC',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::NatGateway': 'NAT gateway',
  'AWS::EC2::VPCEndpoint': 'VPC endpoint',
  'AWS::EC2::SecurityGroup': 'security group',
  'AWS::RDS::DBInstance': 'RDS instance',
  'AWS::ElastiCache::ReplicationGroup': 'Redis replication group',
  'AWS::SecretsManager::Secret': 'secret',
  'AWS::KMS::Key': 'KMS key',
  'AWS::Cognito::UserPool': 'user pool',
  'AWS::DynamoDB::Table': 'DynamoDB table',
  'AWS::Lambda::Function': 'Lambda function',
  'AWS::ApiGateway::RestApi': 'REST API',
  'AWS::ApiGateway::Stage': 'API stage',
  'AWS::WAFv2::WebACL': 'WAF web ACL',
  'AWS::SQS::Queue': 'SQS queue',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::CloudWatch::Alarm': 'alarm',
  'AWS::CloudWatch::Dashboard': 'dashboard',
};

/** `AWS::Synthetics::Canary` → `Synthetics canary` for the types TYPE_LABELS does not name. */
export function typeLabel(type: string): string {
  const known = TYPE_LABELS[type];
  if (known) return known;
  const [, service = type, resource = ''] = type.split('::');
  const words = resource.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words === '' ? service : `${service} ${words}`;
}

/** `3 subnets, 1 VPC`: counts per type, in the order of TYPE_LABELS, then the rest sorted. */
export function countByType(types: readonly string[], notableOnly: boolean): string[] {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  const known = Object.keys(TYPE_LABELS).filter((t) => counts.has(t));
  const others = notableOnly ? [] : [...counts.keys()].filter((t) => !(t in TYPE_LABELS)).sort();
  return [...known, ...others].map((t) => {
    const n = counts.get(t) ?? 0;
    return `${n} ${typeLabel(t)}${n > 1 ? 's' : ''}`;
  });
}

export interface StackReference {
  readonly producer: StackArtifact;
  readonly consumer: StackArtifact;
  /** Types of the producer's resources that the consumer reads (one entry per resource). */
  readonly resourceTypes: readonly string[];
}

/** Cross-stack references (Fn::GetStackOutput, Fn::ImportValue) between the given stacks. */
export function stackReferences(model: AssemblyModel, stacks: readonly StackArtifact[]): StackReference[] {
  const references: StackReference[] = [];
  for (const consumer of stacks) {
    const crossRefs = Object.values(consumer.template.resources)
      .flatMap((r) => findReferences(r.properties))
      .filter((ref) => ref.kind !== 'resource');
    for (const producer of stacks) {
      const fromProducer = crossRefs.filter((ref) => producerOf(model, ref) === producer);
      if (fromProducer.length === 0) continue;
      // One entry per resource read, however many properties read it.
      const types = new Map<string, string>();
      for (const r of fromProducer.flatMap((ref) => resolveReference(model, consumer, ref))) {
        types.set(
          `${r.stack.artifactId}/${r.logicalId}`,
          r.stack.template.resources[r.logicalId]?.type ?? '?'
        );
      }
      references.push({ producer, consumer, resourceTypes: [...types.values()] });
    }
  }
  return references;
}

export function stackNodeId(stack: StackArtifact): string {
  return mermaidId('stack', shortName(stack.displayName));
}

/** Each stack's deployment wave (1 = no dependency in the stage), from the manifest dependencies. */
export function deploymentWaves(stacks: readonly StackArtifact[]): Map<StackArtifact, number> {
  const waves = new Map<StackArtifact, number>();
  const waveOf = (stack: StackArtifact, seen: readonly StackArtifact[]): number => {
    const known = waves.get(stack);
    if (known !== undefined) return known;
    if (seen.includes(stack)) throw new Error(`Dependency cycle through ${stack.displayName}`);
    const deps = stacks.filter((s) => stack.dependencies.includes(s.artifactId));
    const wave = 1 + Math.max(0, ...deps.map((d) => waveOf(d, [...seen, stack])));
    waves.set(stack, wave);
    return wave;
  };
  stacks.forEach((s) => waveOf(s, []));
  return waves;
}

/**
 * The stage's stacks top to bottom, one row per deployment wave, with what each holds; solid arrows
 * carry cross-stack references (producer → consumer, labelled with what is read), dotted ones are
 * manifest dependencies without a reference. An arrow spans as many rows as the waves it crosses,
 * so a stack stays in its wave's row.
 */
export function renderStage(model: AssemblyModel, stacks: readonly StackArtifact[]): string {
  const waves = deploymentWaves(stacks);
  const span = (from: StackArtifact, to: StackArtifact): number =>
    Math.max(1, (waves.get(to) ?? 1) - (waves.get(from) ?? 1));
  const body = stacks.map((s) =>
    node(
      stackNodeId(s),
      [
        shortName(s.displayName),
        `(${s.stackName})`,
        ...packLines(
          countByType(
            Object.values(s.template.resources).map((r) => r.type),
            true
          )
        ),
      ],
      'round'
    )
  );
  const references = stackReferences(model, stacks);
  for (const ref of references) {
    body.push(
      edge(
        stackNodeId(ref.producer),
        stackNodeId(ref.consumer),
        countByType(ref.resourceTypes, false),
        'solid',
        span(ref.producer, ref.consumer)
      )
    );
  }
  for (const consumer of stacks) {
    for (const producer of stacks.filter((s) => consumer.dependencies.includes(s.artifactId))) {
      if (!references.some((r) => r.producer === producer && r.consumer === consumer)) {
        body.push(
          edge(
            stackNodeId(producer),
            stackNodeId(consumer),
            'deploys first',
            'dotted',
            span(producer, consumer)
          )
        );
      }
    }
  }
  return flowchart('TB', body);
}
