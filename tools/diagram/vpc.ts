import { flattenString, friendlyName, resolveResources } from './intrinsics';
import {
  type AssemblyModel,
  type CfnResource,
  type StackArtifact,
  compareText,
  isRecord,
  shortName,
} from './model';

export interface Subnet {
  readonly logicalId: string;
  /** CDK's subnet group name (`aws-cdk:subnet-name`), e.g. `Database`. */
  readonly tier: string;
  /** `Public`, `Private` or `Isolated` (`aws-cdk:subnet-type`). */
  readonly type: string;
  readonly availabilityZone: string;
  readonly cidr: string;
}

/** What a tier holds: one box per kind (NAT gateway, RDS, ...), its items and the AZs they span. */
export interface TierWorkload {
  readonly kind: string;
  /** `item` or `item ×n`, sorted. */
  readonly items: readonly string[];
  readonly availabilityZones: readonly string[];
}

export interface Tier {
  readonly name: string;
  readonly type: string;
  readonly subnets: readonly Subnet[];
  readonly workloads: readonly TierWorkload[];
  /** Where the tier's default route (0.0.0.0/0) goes: `NAT gateway`, `Internet gateway`; empty when isolated. */
  readonly egress: readonly string[];
}

export interface VpcLayout {
  readonly name: string;
  readonly cidr: string;
  readonly tiers: readonly Tier[];
  /** Lambda functions of the stage that run outside any VPC, by stack (custom-resource handlers left out). */
  readonly outside: readonly { readonly stack: string; readonly functions: readonly string[] }[];
}

const TIER_ORDER = ['Public', 'Private', 'Isolated'];
/** VPC plumbing: drawn as the tiers themselves, not as what runs in them. */
const PLUMBING = new Set([
  'AWS::EC2::Subnet',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::RouteTable',
  'AWS::EC2::Route',
  'AWS::RDS::DBSubnetGroup',
  'AWS::ElastiCache::SubnetGroup',
]);
const SUBNET_GROUPS = new Set(['AWS::RDS::DBSubnetGroup', 'AWS::ElastiCache::SubnetGroup']);

function tag(resource: CfnResource, key: string): string | undefined {
  const tags: unknown[] = Array.isArray(resource.properties.Tags) ? resource.properties.Tags : [];
  const found = tags.find((t) => isRecord(t) && t.Key === key);
  return isRecord(found) && typeof found.Value === 'string' ? found.Value : undefined;
}

type Key = string;
const keyOf = (stack: StackArtifact, logicalId: string): Key => `${stack.artifactId}/${logicalId}`;

interface VpcIndex {
  readonly stack: StackArtifact;
  readonly subnets: ReadonlyMap<string, Subnet>;
  /** Route table → the subnets associated with it. */
  readonly routeTables: ReadonlyMap<string, readonly string[]>;
}

function indexVpc(stack: StackArtifact, vpcId: string): VpcIndex {
  const subnets = new Map<string, Subnet>();
  const routeTables = new Map<string, string[]>();
  const resources = stack.template.resources;
  for (const [id, r] of Object.entries(resources)) {
    if (r.type === 'AWS::EC2::Subnet' && isRecord(r.properties.VpcId) && r.properties.VpcId.Ref === vpcId) {
      subnets.set(id, {
        logicalId: id,
        tier: tag(r, 'aws-cdk:subnet-name') ?? 'Subnets',
        type: tag(r, 'aws-cdk:subnet-type') ?? 'Unknown',
        availabilityZone: flattenString(r.properties.AvailabilityZone),
        cidr: flattenString(r.properties.CidrBlock),
      });
    }
  }
  for (const r of Object.values(resources)) {
    if (r.type !== 'AWS::EC2::SubnetRouteTableAssociation') continue;
    const table = isRecord(r.properties.RouteTableId) ? r.properties.RouteTableId.Ref : undefined;
    const subnet = isRecord(r.properties.SubnetId) ? r.properties.SubnetId.Ref : undefined;
    if (typeof table === 'string' && typeof subnet === 'string' && subnets.has(subnet)) {
      routeTables.set(table, [...(routeTables.get(table) ?? []), subnet]);
    }
  }
  return { stack, subnets, routeTables };
}

/** The VPC subnets a resource's properties place it in: directly, via a subnet group or a route table. */
function placement(model: AssemblyModel, vpc: VpcIndex, stack: StackArtifact, value: unknown): string[] {
  const subnets = new Set<string>();
  for (const target of resolveResources(model, stack, value)) {
    const resource = target.stack.template.resources[target.logicalId];
    if (!resource) continue;
    if (target.stack === vpc.stack && vpc.subnets.has(target.logicalId)) subnets.add(target.logicalId);
    if (target.stack === vpc.stack) vpc.routeTables.get(target.logicalId)?.forEach((s) => subnets.add(s));
    if (SUBNET_GROUPS.has(resource.type)) {
      placement(model, vpc, target.stack, resource.properties.SubnetIds).forEach((s) => subnets.add(s));
    }
  }
  return [...subnets].sort();
}

/** `com.amazonaws.us-east-1.ecr.api` or a Join with `{AWS::Region}` → `ecr.api`. */
function endpointService(value: unknown): string {
  return flattenString(value).replace(/^com\.amazonaws\.[^.]+\./, '');
}

/** The box a resource goes in, and how it is listed there. */
export function describeWorkload(logicalId: string, resource: CfnResource): { kind: string; item: string } {
  const p = resource.properties;
  switch (resource.type) {
    case 'AWS::EC2::NatGateway':
      return { kind: 'NAT gateway', item: '' };
    case 'AWS::EC2::VPCEndpoint':
      return {
        kind: p.VpcEndpointType === 'Interface' ? 'Interface endpoints' : 'Gateway endpoints',
        item: endpointService(p.ServiceName),
      };
    case 'AWS::RDS::DBInstance': {
      const role = p.SourceDBInstanceIdentifier === undefined ? 'primary' : 'read replica';
      const engine =
        p.Engine === undefined ? '' : ` ${flattenString(p.Engine)} ${flattenString(p.EngineVersion)}`;
      return {
        kind: 'RDS',
        item: `${role} ${flattenString(p.DBInstanceClass)}${engine}${p.MultiAZ === true ? ', Multi-AZ' : ''}`,
      };
    }
    case 'AWS::ElastiCache::ReplicationGroup':
      return {
        kind: 'ElastiCache',
        item:
          `${flattenString(p.Engine)} ${flattenString(p.EngineVersion)} ${flattenString(p.CacheNodeType)}` +
          ` × ${flattenString(p.NumCacheClusters)} nodes${p.MultiAZEnabled === true ? ', Multi-AZ' : ''}`,
      };
    case 'AWS::SecretsManager::RotationSchedule': {
      const hosted = isRecord(p.HostedRotationLambda) ? p.HostedRotationLambda : {};
      return {
        kind: 'Secrets Manager rotation',
        item: `${flattenString(hosted.RotationType)} (hosted Lambda)`,
      };
    }
    case 'AWS::Lambda::Function':
      return { kind: 'Lambda', item: friendlyName(logicalId) };
    default:
      return { kind: resource.type.replace(/^AWS::/, ''), item: friendlyName(logicalId) };
  }
}

/** Lambda functions that back custom resources (CDK's own handlers), by stack/logical id. */
function customResourceHandlers(model: AssemblyModel, stacks: readonly StackArtifact[]): Set<Key> {
  const handlers = new Set<Key>();
  for (const stack of stacks) {
    for (const r of Object.values(stack.template.resources)) {
      if (!r.type.startsWith('Custom::') && r.type !== 'AWS::CloudFormation::CustomResource') continue;
      resolveResources(model, stack, r.properties.ServiceToken).forEach((t) =>
        handlers.add(keyOf(t.stack, t.logicalId))
      );
    }
  }
  return handlers;
}

function withCount(item: string, count: number): string {
  if (item === '') return `× ${count}`;
  return count > 1 ? `${item} × ${count}` : item;
}

function groupWorkloads(
  entries: readonly { kind: string; item: string; availabilityZones: readonly string[] }[]
): TierWorkload[] {
  const kinds = [...new Set(entries.map((e) => e.kind))].sort();
  return kinds.map((kind) => {
    const ofKind = entries.filter((e) => e.kind === kind);
    const items = [...new Set(ofKind.map((e) => e.item))].sort();
    return {
      kind,
      items: items.map((item) => withCount(item, ofKind.filter((e) => e.item === item).length)),
      availabilityZones: [...new Set(ofKind.flatMap((e) => e.availabilityZones))].sort(),
    };
  });
}

/** Egress of each subnet: the targets of its route table's default route. */
function egressBySubnet(vpc: VpcIndex): Map<string, Set<string>> {
  const egress = new Map<string, Set<string>>();
  for (const r of Object.values(vpc.stack.template.resources)) {
    if (r.type !== 'AWS::EC2::Route' || r.properties.DestinationCidrBlock !== '0.0.0.0/0') continue;
    const table = isRecord(r.properties.RouteTableId) ? r.properties.RouteTableId.Ref : undefined;
    const target =
      r.properties.NatGatewayId !== undefined
        ? 'NAT gateway'
        : r.properties.GatewayId !== undefined
          ? 'Internet gateway'
          : 'other';
    for (const subnet of typeof table === 'string' ? (vpc.routeTables.get(table) ?? []) : []) {
      egress.set(subnet, (egress.get(subnet) ?? new Set()).add(target));
    }
  }
  return egress;
}

/** The first VPC of the stage, its tiers and what runs in each, from the templates alone. */
export function vpcLayout(model: AssemblyModel, stacks: readonly StackArtifact[]): VpcLayout {
  const vpcs = stacks.flatMap((stack) =>
    Object.keys(stack.template.resources)
      .sort()
      .filter((id) => stack.template.resources[id]?.type === 'AWS::EC2::VPC')
      .map((id) => ({ stack, id }))
  );
  const [first] = vpcs;
  if (!first) throw new Error(`No AWS::EC2::VPC in ${stacks.map((s) => s.displayName).join(', ')}`);
  const vpc = indexVpc(first.stack, first.id);
  const handlers = customResourceHandlers(model, stacks);

  const placed: { kind: string; item: string; subnets: string[] }[] = [];
  const outside = new Map<string, string[]>();
  for (const stack of stacks) {
    for (const id of Object.keys(stack.template.resources).sort()) {
      const resource = stack.template.resources[id];
      if (!resource || PLUMBING.has(resource.type)) continue;
      const subnets = placement(model, vpc, stack, resource.properties);
      if (subnets.length > 0) {
        placed.push({ ...describeWorkload(id, resource), subnets });
      } else if (resource.type === 'AWS::Lambda::Function' && !handlers.has(keyOf(stack, id))) {
        const name = shortName(stack.displayName);
        outside.set(name, [...(outside.get(name) ?? []), friendlyName(id)]);
      }
    }
  }

  const egress = egressBySubnet(vpc);
  const allSubnets = [...vpc.subnets.values()];
  const tierNames = [...new Set(allSubnets.map((s) => s.tier))];
  const typeRank = (t: string): number =>
    TIER_ORDER.includes(t) ? TIER_ORDER.indexOf(t) : TIER_ORDER.length;
  const tiers = tierNames.map((name): Tier => {
    const subnets = allSubnets
      .filter((s) => s.tier === name)
      .sort((a, b) => compareText(a.availabilityZone, b.availabilityZone) || compareText(a.cidr, b.cidr));
    const inTier = new Set(subnets.map((s) => s.logicalId));
    const workloads = placed
      .map((p) => ({ ...p, subnets: p.subnets.filter((s) => inTier.has(s)) }))
      .filter((p) => p.subnets.length > 0)
      .map((p) => ({
        kind: p.kind,
        item: p.item,
        availabilityZones: p.subnets.map((s) => vpc.subnets.get(s)?.availabilityZone ?? s),
      }));
    return {
      name,
      type: subnets[0]?.type ?? 'Unknown',
      subnets,
      workloads: groupWorkloads(workloads),
      egress: [...new Set(subnets.flatMap((s) => [...(egress.get(s.logicalId) ?? [])]))].sort(),
    };
  });
  tiers.sort((a, b) => typeRank(a.type) - typeRank(b.type) || compareText(a.name, b.name));

  const vpcResource = first.stack.template.resources[first.id];
  return {
    name: friendlyName(first.id),
    cidr: flattenString(vpcResource?.properties.CidrBlock),
    tiers,
    outside: [...outside.keys()]
      .sort()
      .map((stack) => ({ stack, functions: (outside.get(stack) ?? []).sort() })),
  };
}
