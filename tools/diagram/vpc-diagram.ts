import { type Tier, type TierWorkload, type VpcLayout } from './vpc';
import { edge, flowchart, mermaidId, node, packLines, subgraph } from './mermaid';

export const vpcTierId = (tier: string): string => mermaidId('vpc', 'tier', tier);
export const vpcWorkloadId = (tier: string, kind: string): string => mermaidId('vpc', tier, kind);
const INTERNET_GATEWAY_ID = mermaidId('vpc', 'internet', 'gateway');
const OUTSIDE_ID = mermaidId('vpc', 'outside');
/** Boxes side by side in a tier: more would make the diagram wider than a Markdown column. */
const BOXES_PER_ROW = 2;
/** `Private subnets: us-east-1a 10.0.3.0/24 · us-east-1b 10.0.4.0/24`; the type when the name hides it. */
export function tierTitle(tier: Tier): string {
  const type = tier.name === tier.type ? '' : ` (${tier.type.toLowerCase()})`;
  return `${tier.name} subnets${type}: ${tier.subnets.map((s) => `${s.availabilityZone} ${s.cidr}`).join(' · ')}`;
}

/** A workload's lines: what it is and its items; its AZs only when it does not span the whole tier. */
function workloadLabel(tier: Tier, workload: TierWorkload): string[] {
  const tierZones = new Set(tier.subnets.map((s) => s.availabilityZone));
  const everywhere = [...tierZones].every((z) => workload.availabilityZones.includes(z));
  return [
    workload.kind,
    ...packLines(workload.items),
    ...(everywhere ? [] : [`in ${workload.availabilityZones.join(', ')}`]),
  ];
}

/** Ids of a tier's boxes in rows of BOXES_PER_ROW, the first row on top. */
function rows(ids: readonly string[]): string[][] {
  const result: string[][] = [];
  ids.forEach((id, i) => {
    if (i % BOXES_PER_ROW === 0) result.push([]);
    result[result.length - 1]?.push(id);
  });
  return result;
}

/** Invisible links that stack `below` under `above` (the diagram runs bottom to top). */
function stack(below: readonly string[], above: readonly string[]): string[] {
  return below.flatMap((id, i) => {
    const over = above[i] ?? above[above.length - 1];
    return over === undefined ? [] : [`${id} ~~~ ${over}`];
  });
}

/**
 * The VPC bottom to top, the way traffic leaves it: isolated tiers at the bottom, the public tier
 * and the Internet gateway on top. Each tier is a box titled with its subnets, holding what runs in
 * it; default routes are arrows.
 */
export function renderVpc(layout: VpcLayout): string {
  const tierRows = layout.tiers.map((tier) => {
    const ids = tier.workloads.map((w) => vpcWorkloadId(tier.name, w.kind));
    // A tier with nothing in it still needs a box to hold its place.
    return ids.length > 0 ? rows(ids) : [[mermaidId('vpc', tier.name, 'empty')]];
  });
  const tierBodies = layout.tiers.flatMap((tier, t) => {
    const grid = tierRows[t] ?? [];
    const nodes =
      tier.workloads.length > 0
        ? tier.workloads.map((w) => node(vpcWorkloadId(tier.name, w.kind), workloadLabel(tier, w), 'round'))
        : [node(grid[0]?.[0] ?? '', 'nothing placed here')];
    const inner = grid.slice(1).flatMap((row, r) => stack(row, grid[r] ?? []));
    return subgraph(vpcTierId(tier.name), tierTitle(tier), [...nodes, ...inner]);
  });
  // Tiers in layout order from the top: each tier's first row sits under the last row of the one before.
  const tierOrder = tierRows
    .slice(1)
    .flatMap((grid, t) => stack(grid[0] ?? [], tierRows[t]?.[tierRows[t].length - 1] ?? []));
  const body = [
    ...subgraph(mermaidId('vpc', layout.name), `VPC ${layout.name} ${layout.cidr}`, [
      ...tierBodies,
      ...tierOrder,
    ]),
    node(INTERNET_GATEWAY_ID, 'Internet gateway', 'stadium'),
  ];
  const natTier = layout.tiers.find((t) => t.workloads.some((w) => w.kind === 'NAT gateway'));
  for (const tier of layout.tiers) {
    for (const target of tier.egress) {
      const to =
        target === 'NAT gateway' && natTier
          ? vpcWorkloadId(natTier.name, 'NAT gateway')
          : target === 'Internet gateway'
            ? INTERNET_GATEWAY_ID
            : undefined;
      if (to) body.push(edge(vpcTierId(tier.name), to));
    }
  }
  if (layout.outside.length > 0) {
    const ids = layout.outside.map((o) => mermaidId('vpc', 'outside', o.stack));
    body.push(
      ...subgraph(
        OUTSIDE_ID,
        'Lambda functions outside the VPC',
        layout.outside.map((o, i) => node(ids[i] ?? '', [o.stack, ...packLines(o.functions)], 'round'))
      )
    );
    // Beside the Internet gateway, above the VPC.
    const top = tierRows[0]?.[0]?.[0];
    if (top) body.push(...ids.map((id) => `${top} ~~~ ${id}`));
  }
  return flowchart('BT', body);
}
