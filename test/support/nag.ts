import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type IConstruct } from 'constructs';
import { acknowledgeAppWideDecisions } from '../../lib/compliance/control-tower';
import { collectAcknowledgements } from '../../lib/compliance/nag-gate';
import {
  ENVIRONMENT_NAMES,
  type EnvironmentName,
  loadEnvironments,
  loadPipelineConfig,
} from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline/pipeline-stack';
import { testApp } from './app';
import { type StageStackId } from './templates';

/**
 * What test/nag/ checks with: the gate's two cdk-nag packs (lib/compliance/nag-gate.ts addNagGate),
 * run with cdk-nag 3's `validateScope` on a construct of the PipelineStack as bin/app.ts builds it,
 * and the acknowledgements recorded under it.
 */
export const NAG_PACKS = {
  AwsSolutions: () => new AwsSolutionsChecks(),
  Serverless: () => new ServerlessChecks(),
} as const;
export type NagPackName = keyof typeof NAG_PACKS;
export const NAG_PACK_NAMES = Object.keys(NAG_PACKS) as NagPackName[];

/**
 * The PipelineStack as bin/app.ts builds it (every environment's stage inside), in a test App,
 * with the acknowledgements the gate records (addNagGate's app-wide Control Tower decisions):
 * cdk-nag checks construct objects, not templates. Build it once per test file (`beforeAll`).
 */
export function buildPipelineStack(): PipelineStack {
  const app = testApp();
  const pipeline = new PipelineStack(app, 'PipelineStack', {
    pipelineConfig: loadPipelineConfig(app.node),
    environments: loadEnvironments(app.node),
  });
  acknowledgeAppWideDecisions(app);
  return pipeline;
}

/** The acknowledgement id of a Control Tower rule in the counts: `ControlTower::<rule>`. */
export { controlTowerRule as ct } from '../../lib/config/rule-packs';

/** Rule id -> how many acknowledgements of it a scope records. */
export type AcknowledgementCounts = Readonly<Record<string, number>>;

export interface NagResult {
  readonly success: boolean;
  /** `<rule> (<severity>) at <construct path>`, one per violating resource. */
  readonly findings: string[];
}

/** The pack's unacknowledged findings in the tree under `scope`, warnings and errors alike. */
export function nagFindings(pack: NagPackName, scope: IConstruct): NagResult {
  const report = NAG_PACKS[pack]().validateScope(scope);
  return {
    success: report.success,
    findings: report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} (${v.severity}) at ${r.constructPath}`)
    ),
  };
}

/** How often each rule is acknowledged in the tree under `scope`, except under `excluding`. */
export function acknowledgementCounts(
  scope: IConstruct,
  excluding: readonly IConstruct[] = []
): AcknowledgementCounts {
  const excludedPaths = excluding.map((c) => `${c.node.path}/`);
  const counts: Record<string, number> = {};
  for (const { ruleId, constructPath } of collectAcknowledgements(scope)) {
    if (excludedPaths.some((p) => constructPath.startsWith(p))) continue;
    counts[ruleId] = (counts[ruleId] ?? 0) + 1;
  }
  return counts;
}

/** One stack of an environment's stage in the pipeline. */
export function stageStack(pipeline: PipelineStack, env: EnvironmentName, id: StageStackId): Stack {
  const stack = pipeline.stages[env].node.tryFindChild(id);
  if (!stack || !Stack.isStack(stack)) throw new Error(`${env} has no stack ${id}`);
  return stack;
}

/** A reason a reviewer would not accept: too short to say why, or a placeholder. */
const MIN_REASON_LENGTH = 30;
const PLACEHOLDER_REASON = /todo|tbd|fixme|placeholder|n\/a|^reason$/i;
export function isUnacceptableReason(reason: string): boolean {
  return reason.trim().length < MIN_REASON_LENGTH || PLACEHOLDER_REASON.test(reason.trim());
}

/**
 * The nag tests of one stage stack, in every environment: no unacknowledged finding of either
 * pack, and exactly the expected acknowledgements (`acknowledged`, plus `acknowledgedIn[env]`
 * where an environment's config makes a finding true). Call it at the top of a test/nag/ file.
 */
export function describeStageStackNag(
  id: StageStackId,
  acknowledged: AcknowledgementCounts,
  acknowledgedIn: Partial<Record<EnvironmentName, AcknowledgementCounts>> = {}
): void {
  let pipeline: PipelineStack;
  beforeAll(() => {
    pipeline = buildPipelineStack();
  });

  describe.each(ENVIRONMENT_NAMES)(`%s ${id}`, (env) => {
    test.each(NAG_PACK_NAMES)('has no unacknowledged %s finding', (pack) => {
      expect(nagFindings(pack, stageStack(pipeline, env, id))).toEqual({ success: true, findings: [] });
    });

    test('acknowledges exactly the expected rules, as often as expected', () => {
      expect(acknowledgementCounts(stageStack(pipeline, env, id))).toEqual({
        ...acknowledged,
        ...acknowledgedIn[env],
      });
    });
  });
}
