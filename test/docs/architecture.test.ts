import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { ENVIRONMENT_NAMES, type EnvironmentConfig } from '../../lib/config';
import { apiIntegrationId, apiPathId, apiRoutes, authorizationSummary } from '../../tools/diagram/api';
import { type ArchitectureInput, renderArchitecture } from '../../tools/diagram/document';
import {
  ARCHITECTURE_DOC,
  checkMermaid,
  loadArchitectureInput,
  type MermaidCheck,
} from '../../tools/diagram/io';
import { MATRIX_COLUMN_KEYS, leafPaths, matrixRows } from '../../tools/diagram/matrix';
import { edge, mermaidBlocks, node, packLines } from '../../tools/diagram/mermaid';
import {
  type AssemblyModel,
  type CfnTemplate,
  type StackArtifact,
  stageStacks,
} from '../../tools/diagram/model';
import {
  PIPELINE_ENVIRONMENTS_ID,
  findPipeline,
  pipelineBoxes,
  pipelineStageId,
  pipelineStages,
  pipelineStepId,
} from '../../tools/diagram/pipeline';
import {
  deploymentWaves,
  renderStage,
  stackNodeId,
  stackReferences,
  typeLabel,
} from '../../tools/diagram/stage';
import { vpcLayout } from '../../tools/diagram/vpc';
import { tierTitle, vpcTierId, vpcWorkloadId } from '../../tools/diagram/vpc-diagram';
import { testAssemblyDir } from '../support/test-assembly';

/** Diagrams the parser must reject: proof that the syntax check can fail. */
const BROKEN_DIAGRAMS = [
  'flowchart LR\n  a["dangling edge"] -->',
  'flowchart LR\n  a["a "quoted" label, unescaped"] --> b',
  'flowchart LR\n  subgraph s["never closed"]\n    a --> b',
];
/** A label with quotes and angle brackets, escaped by the builder: must parse. */
const ESCAPED_DIAGRAM = `flowchart LR\n  ${node('a', ['say "hi"', '<b>not html</b>'])} --> b`;

let input: ArchitectureInput;
let markdown: string;
let diagrams: string[];
let checks: MermaidCheck[];

beforeAll(() => {
  // The PipelineStack app as `npm run diagram` synthesizes it (synthesizeAssembly), once per jest
  // run by the global setup (test/support/test-assembly.ts), read like the script reads its own.
  input = loadArchitectureInput({ cdkOut: testAssemblyDir('pipeline') });
  markdown = renderArchitecture(input);
  diagrams = mermaidBlocks(markdown);
  checks = checkMermaid([...diagrams, ...BROKEN_DIAGRAMS, ESCAPED_DIAGRAM]); // one mermaid process
});

/** The first line where two texts differ, for a failure message a reader can act on. */
function firstDifference(expected: string, actual: string): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  const i = e.findIndex((line, n) => line !== a[n]);
  const at = i < 0 ? e.length : i;
  return `line ${at + 1}:\n  generated:  ${e[at] ?? '<end>'}\n  checked in: ${a[at] ?? '<end>'}`;
}

/** The label lines of every node and edge of a diagram (subgraph titles left out). */
function labelLines(diagram: string): string[][] {
  return diagram
    .split('\n')
    .filter((line) => !line.trim().startsWith('subgraph '))
    .flatMap((line) => [...line.matchAll(/"([^"]*)"/g)].map((m) => (m[1] ?? '').split('<br/>')));
}

/** Label lines of 16 characters or more that appear on more than two boxes or arrows. */
function repeatedLongLines(diagram: string): string[] {
  const counts = new Map<string, number>();
  for (const line of labelLines(diagram).flatMap((lines) => [...new Set(lines)])) {
    if (line.length >= 16) counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 2).map(([line]) => line);
}

function diagramAfter(heading: string): string {
  const index = diagrams.findIndex((d) => markdown.indexOf(d) > markdown.indexOf(heading));
  const diagram = diagrams[index];
  if (index < 0 || diagram === undefined) throw new Error(`no diagram after ${heading}`);
  return diagram;
}

describe('docs/architecture.md', () => {
  test('is what `npm run diagram` generates from the app and config now', () => {
    const checkedIn = fs.existsSync(ARCHITECTURE_DOC) ? fs.readFileSync(ARCHITECTURE_DOC, 'utf8') : '';
    if (checkedIn !== markdown) {
      throw new Error(
        `${path.relative(process.cwd(), ARCHITECTURE_DOC)} is out of date: run \`npm run diagram\` and ` +
          `commit the result. First difference at ${firstDifference(markdown, checkedIn)}`
      );
    }
  });

  test('is deterministic: rendering the same assembly twice gives the same bytes', () => {
    expect(renderArchitecture(input)).toBe(markdown);
    expect(markdown).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/); // no timestamps
  });
});

describe('Mermaid syntax', () => {
  test('every diagram parses with the mermaid parser (pipeline, stage, VPC, API)', () => {
    expect(diagrams).toHaveLength(4);
    const results = checks.slice(0, diagrams.length);
    results.forEach((r, i) => {
      if (!r.ok) throw new Error(`diagram ${i + 1} does not parse: ${r.error}\n${diagrams[i]}`);
    });
    expect(results.map((r) => r.diagramType)).toEqual(Array(4).fill('flowchart-v2'));
  });

  test('the parser rejects broken diagrams, so the check can fail', () => {
    const results = checks.slice(diagrams.length, diagrams.length + BROKEN_DIAGRAMS.length);
    expect(results.map((r) => r.ok)).toEqual(BROKEN_DIAGRAMS.map(() => false));
    expect(results[0]?.error).toMatch(/Parse error/);
  });

  test('labels with quotes and angle brackets are escaped so they parse', () => {
    expect(checks[checks.length - 1]).toMatchObject({ ok: true });
  });
});

describe('legibility rules (the rendered widths are checked by `npm run diagram:check`)', () => {
  test('no long label line is repeated on more than two boxes of a diagram', () => {
    expect(
      diagrams.flatMap((d, i) => repeatedLongLines(d).map((line) => `diagram ${i + 1}: ${line}`))
    ).toEqual([]);
  });

  test('the repetition rule catches a provider repeated on every box', () => {
    const repetitive = ['a', 'b', 'c'].map((id) => node(id, [id, '(CloudFormation change set)'], 'round'));
    expect(repeatedLongLines(['flowchart LR', ...repetitive].join('\n'))).toEqual([
      '(CloudFormation change set)',
    ]);
  });

  test('no label line is longer than 45 characters', () => {
    const long = diagrams.flatMap((d) => labelLines(d).flat()).filter((line) => line.length > 45);
    expect(long).toEqual([]);
  });

  test('packLines fills lines up to the width and never splits an item', () => {
    expect(packLines(['dynamodb', 's3', 'secretsmanager', 'ssm'], 14)).toEqual([
      'dynamodb, s3',
      'secretsmanager',
      'ssm',
    ]);
    expect(packLines(['a-very-long-item-name'], 5)).toEqual(['a-very-long-item-name']);
    expect(packLines([])).toEqual([]);
  });
});

describe('pipeline diagram', () => {
  test('runs source → synth → self-mutate → assets → dev → staging → prod', () => {
    const stages = pipelineStages(findPipeline(input.model));
    expect(stages.map((s) => s.name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'Dev',
      'Staging',
      'Prod',
    ]);
    const diagram = diagramAfter('## The delivery pipeline');
    const chained = (names: string[]): void =>
      names.slice(1).forEach((name, i) => {
        expect(diagram).toContain(edge(pipelineStageId(names[i] ?? ''), pipelineStageId(name)));
      });
    chained(['Source', 'Build', 'UpdatePipeline', 'Assets']);
    chained(['Dev', 'Staging', 'Prod']);
    expect(diagram).toContain(edge(pipelineStageId('Assets'), PIPELINE_ENVIRONMENTS_ID));
    expect(diagram).toContain(`${pipelineStepId('Build', 0)}["Synth"]`);
    expect(diagram).toContain(`${pipelineStepId('UpdatePipeline', 0)}["SelfMutate"]`);
  });

  test('draws one box per deployment wave, its Prepare and Deploy steps together', () => {
    const prod = pipelineStages(findPipeline(input.model)).find((s) => s.name === 'Prod');
    expect(prod?.steps.filter((step) => step.every((a) => a.category === 'Deploy'))).toHaveLength(6);
    expect(pipelineBoxes(prod!)).toEqual([
      { category: 'Build', lines: ['ChangeReview'] },
      { category: 'Approval', lines: ['PromoteToProd'] },
      { category: 'Deploy', lines: ['Networking', 'ServerlessApi'] },
      { category: 'Deploy', lines: ['Database'] },
      { category: 'Deploy', lines: ['Monitoring'] },
      { category: 'Build', lines: ['HealthCheck'] },
      { category: 'Build', lines: ['Bake'] },
    ]);
  });

  test('states what the shapes mean once, in the prose, not on every box', () => {
    const diagram = diagramAfter('## The delivery pipeline');
    expect(diagram).not.toMatch(/CloudFormation|CodeBuild|\.Prepare|\.Deploy/);
    const prose = markdown.slice(markdown.indexOf('## The delivery pipeline'), markdown.indexOf(diagram));
    expect(prose).toMatch(/a rounded box is one deployment wave/);
    expect(prose).toMatch(/a diamond is a manual approval/);
  });

  test('in Prod the change review, then the manual approval, come before any prod stack deploys', () => {
    const diagram = diagramAfter('## The delivery pipeline');
    expect(diagram).toContain(`${pipelineStepId('Prod', 0)}["ChangeReview"]`);
    expect(diagram).toContain(edge(pipelineStepId('Prod', 0), pipelineStepId('Prod', 1)));
    expect(diagram).toContain(`${pipelineStepId('Prod', 1)}{"PromoteToProd"}`);
    expect(diagram).toContain(edge(pipelineStepId('Prod', 1), pipelineStepId('Prod', 2)));
    expect(diagram).toContain(`${pipelineStepId('Prod', 2)}("Networking<br/>ServerlessApi")`);
    for (const stage of ['Dev', 'Staging']) expect(diagram).not.toContain('PromoteTo' + stage);
  });

  test('every environment runs its /health post step after its last stack deploys', () => {
    const stages = pipelineStages(findPipeline(input.model));
    for (const name of ['Dev', 'Staging', 'Prod']) {
      const steps = stages.find((s) => s.name === name)?.steps ?? [];
      const health = steps.findIndex((step) => step.some((a) => a.name === 'HealthCheck'));
      const lastDeploy = steps.map((step) => step.some((a) => a.category === 'Deploy')).lastIndexOf(true);
      expect(lastDeploy).toBeGreaterThan(0);
      expect(health).toBeGreaterThan(lastDeploy);
    }
  });
});

describe('stage diagram', () => {
  test('shows the four stacks and the references between them', () => {
    const stacks = stageStacks(input.model, 'Prod');
    expect(stacks.map((s) => s.stackName)).toEqual([
      'Prod-Networking',
      'Prod-Database',
      'Prod-ServerlessApi',
      'Prod-Monitoring',
    ]);
    const pairs = stackReferences(input.model, stacks).map(
      (r) => `${r.producer.stackName} → ${r.consumer.stackName}`
    );
    expect(pairs).toEqual(
      expect.arrayContaining([
        'Prod-Networking → Prod-Database',
        'Prod-Database → Prod-Monitoring',
        'Prod-ServerlessApi → Prod-Monitoring',
      ])
    );
    const diagram = diagramAfter('## One stage');
    const [networking, database] = stacks;
    expect(diagram).toMatch(
      new RegExp(
        `${stackNodeId(networking!)} -->\\|"1 VPC<br/>3 subnets<br/>[^"]*"\\| ${stackNodeId(database!)}`
      )
    );
  });

  test('puts each stack in the row of its deployment wave: ServerlessApi beside Networking', () => {
    const stacks = stageStacks(input.model, 'Prod');
    const waves = deploymentWaves(stacks);
    expect(stacks.map((s) => [s.stackName, waves.get(s)])).toEqual([
      ['Prod-Networking', 1],
      ['Prod-Database', 2],
      ['Prod-ServerlessApi', 1],
      ['Prod-Monitoring', 3],
    ]);
    const [, , serverlessApi, monitoring] = stacks;
    // A two-rank arrow, so the layout cannot pull ServerlessApi down into the second row.
    expect(diagramAfter('## One stage')).toMatch(
      new RegExp(`${stackNodeId(serverlessApi!)} --->\\|"[^"]*"\\| ${stackNodeId(monitoring!)}`)
    );
  });

  test('names resource types in words, never as raw CloudFormation types', () => {
    expect(diagramAfter('## One stage')).not.toMatch(/\w::\w/);
    expect(diagramAfter('## One stage')).toContain('1 Synthetics canary');
    expect(typeLabel('AWS::Synthetics::Canary')).toBe('Synthetics canary');
    expect(typeLabel('AWS::Lambda::EventSourceMapping')).toBe('Lambda event source mapping');
    expect(typeLabel('AWS::DynamoDB::Table')).toBe('DynamoDB table');
  });
});

describe('VPC diagram', () => {
  test('puts RDS and ElastiCache in the isolated tier, which has no route out', () => {
    const layout = vpcLayout(input.model, stageStacks(input.model, 'Prod'));
    const isolated = layout.tiers.find((t) => t.type === 'Isolated');
    expect(isolated?.workloads.map((w) => w.kind)).toEqual(expect.arrayContaining(['RDS', 'ElastiCache']));
    expect(isolated?.egress).toEqual([]);
    const diagram = diagramAfter('## The VPC');
    expect(diagram).toContain(vpcWorkloadId(isolated!.name, 'RDS'));
    expect(diagram).not.toContain(`${vpcTierId(isolated!.name)} -->`);
  });

  test('private subnets leave through the NAT gateways in the public tier, one per AZ in prod', () => {
    const layout = vpcLayout(input.model, stageStacks(input.model, 'Prod'));
    const publicTier = layout.tiers.find((t) => t.type === 'Public');
    const privateTier = layout.tiers.find((t) => t.type === 'Private');
    const nat = publicTier?.workloads.find((w) => w.kind === 'NAT gateway');
    expect(nat?.items).toEqual([`× ${input.environments.prod.network.natGateways}`]);
    expect(privateTier?.egress).toEqual(['NAT gateway']);
    expect(diagramAfter('## The VPC')).toContain(
      edge(vpcTierId(privateTier!.name), vpcWorkloadId(publicTier!.name, 'NAT gateway'))
    );
  });

  test('titles each tier with its AZs and CIDRs instead of repeating the AZs on every box', () => {
    const layout = vpcLayout(input.model, stageStacks(input.model, 'Prod'));
    const diagram = diagramAfter('## The VPC');
    expect(diagram).toMatch(/^flowchart BT$/m);
    for (const tier of layout.tiers) {
      expect(diagram).toContain(`subgraph ${vpcTierId(tier.name)}["${tierTitle(tier)}"]`);
      for (const subnet of tier.subnets)
        expect(tierTitle(tier)).toContain(`${subnet.availabilityZone} ${subnet.cidr}`);
    }
    expect(
      labelLines(diagram)
        .flat()
        .filter((line) => line.startsWith('in '))
    ).toEqual([]);
  });

  test('the API functions run outside the VPC', () => {
    const layout = vpcLayout(input.model, stageStacks(input.model, 'Prod'));
    expect(layout.outside.find((o) => o.stack === 'ServerlessApi')?.functions).toEqual(
      expect.arrayContaining(['AuthorizerFunction', 'OrdersFunction', 'ProductsFunction', 'UsersFunction'])
    );
  });
});

describe('API route diagram', () => {
  test('/health is a public MOCK', () => {
    const routes = apiRoutes(input.model, stageStacks(input.model, 'Prod'));
    expect(routes.methods.filter((m) => m.path === '/health')).toEqual([
      {
        path: '/health',
        httpMethod: 'GET',
        authorization: 'NONE',
        apiKeyRequired: false,
        integration: 'MOCK',
      },
    ]);
    const diagram = diagramAfter('## The API routes');
    expect(diagram).toContain(edge(apiPathId('/health'), 'api_methods_health_GET'));
    expect(diagram).toContain(edge('api_methods_health_GET', apiIntegrationId('MOCK')));
    expect(diagram).toContain('api_methods_health_GET["GET"]');
  });

  test('method boxes hold verbs only; authorization is said once, in the prose', () => {
    const routes = apiRoutes(input.model, stageStacks(input.model, 'Prod'));
    const diagram = diagramAfter('## The API routes');
    const methodLabels = [...diagram.matchAll(/^ *api_methods_\w+\["([^"]*)"\]$/gm)].map((m) => m[1]);
    expect(methodLabels.length).toBeGreaterThan(0);
    for (const label of methodLabels) expect(label).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
    expect(diagram).not.toMatch(/authori[sz]/i);
    const summary = authorizationSummary(routes);
    expect(summary).toMatch(/^Every method needs an API key and the CUSTOM: REQUEST authorizer/);
    expect(summary).toContain('except `GET /health`, which needs no authorization.');
    expect(markdown).toContain(summary);
  });

  test('every /v1 route needs the Lambda authorizer and an API key and reaches a live alias', () => {
    const routes = apiRoutes(input.model, stageStacks(input.model, 'Prod'));
    const v1 = routes.methods.filter((m) => m.path.startsWith('/v1'));
    expect(v1.length).toBeGreaterThan(0);
    for (const m of v1) {
      expect(m).toMatchObject({
        apiKeyRequired: true,
        authorization: expect.stringMatching(/^CUSTOM: REQUEST/),
      });
      expect(m.integration).toMatch(/^Lambda \w+:live$/);
    }
  });
});

describe('environment matrix', () => {
  const configs = (): EnvironmentConfig[] => ENVIRONMENT_NAMES.map((n) => input.environments[n]);

  test('has a row for every per-environment config key, new keys included', () => {
    const rows = matrixRows(configs());
    const shown = [...rows.flatMap((r) => r.keys), ...MATRIX_COLUMN_KEYS];
    const keys = new Set(configs().flatMap((c) => leafPaths(c)));
    expect([...keys].filter((k) => !shown.some((s) => k === s || k.startsWith(`${s}.`)))).toEqual([]);
    const added = { ...input.environments.dev, newSetting: { window: Duration.minutes(3), enabled: true } };
    const generic = matrixRows([added]).filter((r) => r.keys.some((k) => k.startsWith('newSetting.')));
    expect(generic.map((r) => [r.label, r.value(added)])).toEqual([
      ['`newSetting.window`', '3 minutes'],
      ['`newSetting.enabled`', 'yes'],
    ]);
  });

  test('shows dev, staging and prod side by side with values from the config', () => {
    const section = markdown.slice(markdown.indexOf('## Environment matrix'));
    expect(section).toMatch(/^\| Setting +\| dev +\| staging +\| prod +\|$/m);
    const row = (label: string): string[] =>
      (section.split('\n').find((l) => l.startsWith(`| ${label} `)) ?? '')
        .split('|')
        .slice(2, -1)
        .map((c) => c.trim());
    expect(row('NAT gateways')).toEqual(
      ENVIRONMENT_NAMES.map((n) => String(input.environments[n].network.natGateways))
    );
    expect(row('RDS Multi-AZ')).toEqual(['no', 'yes', 'yes']);
    expect(row('Account')).toEqual(ENVIRONMENT_NAMES.map((n) => input.environments[n].account));
    expect(row('WAF web ACL')[0]).toBe('none');
  });
});

describe('stage references on a hand-made assembly', () => {
  const stack = (name: string, template: CfnTemplate, dependencies: string[] = []): StackArtifact => ({
    artifactId: name,
    displayName: `App/Stage/${name}`,
    stackName: `Stage-${name}`,
    environment: 'aws://111111111111/us-east-1',
    dependencies,
    stage: 'App/Stage',
    template,
  });
  const producer = stack('Producer', {
    resources: { Bucket1: { type: 'AWS::S3::Bucket', properties: {} } },
    outputs: { BucketName: { value: { Ref: 'Bucket1' }, exportName: 'Stage:BucketName' } },
  });
  const consumer = stack(
    'Consumer',
    {
      resources: {
        Fn: { type: 'AWS::Lambda::Function', properties: { Env: { 'Fn::ImportValue': 'Stage:BucketName' } } },
      },
      outputs: {},
    },
    ['Producer']
  );
  const ordered = stack('Ordered', { resources: {}, outputs: {} }, ['Consumer']);
  const model: AssemblyModel = { stacks: [ordered, consumer, producer] };

  test('follows Fn::ImportValue to the exporting stack and the resource behind the export', () => {
    expect(
      stackReferences(model, stageStacks(model, 'Stage')).map((r) => [
        r.producer.artifactId,
        r.consumer.artifactId,
        r.resourceTypes,
      ])
    ).toEqual([['Producer', 'Consumer', ['AWS::S3::Bucket']]]);
  });

  test('orders stacks by dependency and draws a dependency without a reference dotted', () => {
    const stacks = stageStacks(model, 'Stage');
    expect(stacks.map((s) => s.artifactId)).toEqual(['Producer', 'Consumer', 'Ordered']);
    const diagram = renderStage(model, stacks);
    expect(diagram).toContain(edge(stackNodeId(producer), stackNodeId(consumer), '1 S3 bucket'));
    expect(diagram).toContain(edge(stackNodeId(consumer), stackNodeId(ordered), 'deploys first', 'dotted'));
  });
});
