import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stage, Validations } from 'aws-cdk-lib';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { ControlTowerChecks } from '../../lib/compliance/control-tower';
import { collectAcknowledgements } from '../../lib/compliance/nag-gate';
import { CONTROL_TOWER_PLUGIN_NAME } from '../../lib/config/rule-packs';
import { buildPipelineStack, isUnacceptableReason } from '../support/nag';

/**
 * The gate's AWS Control Tower pack over the whole app as bin/app.ts builds it (the pipeline and
 * every stage, with the acknowledgements the gate records): no unacknowledged finding. The
 * acknowledgements are counted per stack in test/nag/*.test.ts; the gate's wiring through the CLI
 * is in control-tower-gate.test.ts.
 */
interface Report {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly violations: ReadonlyArray<{
      readonly ruleName: string;
      readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string }>;
    }>;
  }>;
}

let findings: string[];
let pipeline: ReturnType<typeof buildPipelineStack>;
beforeAll(() => {
  pipeline = buildPipelineStack();
  const app = Stage.of(pipeline)!;
  Validations.of(app).addPlugins(new ControlTowerChecks());
  let outdir: string;
  try {
    outdir = app.synth().directory;
  } catch {
    // A failing validation throws; its report is still written.
    outdir = app.outdir;
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, VALIDATION_REPORT_FILE), 'utf8')) as Report;
  findings = report.pluginReports
    .filter((p) => p.pluginName === CONTROL_TOWER_PLUGIN_NAME)
    .flatMap((p) =>
      p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath ?? '?'}`)
      )
    );
}, 180_000);

test('runs every Control Tower rule the validator ships (over 200), none disabled', () => {
  expect(new ControlTowerChecks().ruleIds?.length).toBeGreaterThan(200);
});

test('the pipeline stack and every stage have no unacknowledged Control Tower finding', () => {
  expect(findings).toEqual([]);
});

test('every Control Tower acknowledgement has a real reason', () => {
  const ours = collectAcknowledgements(pipeline).filter((a) =>
    a.ruleId.startsWith(`${CONTROL_TOWER_PLUGIN_NAME}::`)
  );
  expect(ours.length).toBeGreaterThan(0);
  expect(ours.filter((a) => isUnacceptableReason(a.reason))).toEqual([]);
});
