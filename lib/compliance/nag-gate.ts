import * as fs from 'node:fs';
import * as path from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { type IConstruct } from 'constructs';
import { type CloudAssembly, VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { acknowledgeAppWideDecisions, ControlTowerChecks } from './control-tower';

/**
 * The synth gate: cdk-nag's AwsSolutions and Serverless packs, and the AWS Control Tower proactive
 * controls (cfn-guard, lib/compliance/control-tower.ts) as a second, independent pack. Call it
 * once the app's construct tree is complete: it also acknowledges the Control Tower findings the
 * design accepts app-wide, on each resource they apply to.
 *
 * cdk-nag 3 runs as a policy-validation plugin on the App, which walks the whole construct tree,
 * stacks inside Stages included (a v2 Aspect on the App never reached them). Any unacknowledged
 * finding, warning or error, is a failure.
 *
 * `bin/app.ts` and the gate's own test fixture both use the functions of this module, so the test
 * proves the real wiring.
 */
export function addNagGate(app: App): void {
  acknowledgeAppWideDecisions(app);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app),
    new ControlTowerChecks()
  );
}

/**
 * Written beside CDK's `validation-report.json` in the cloud assembly. cdk-nag 3 has no report
 * files of its own (v2's `reports` option is gone) and leaves acknowledged findings out of the
 * validation report, so this file is the audit trail: every acknowledgement, where, and why.
 */
export const NAG_ACKNOWLEDGEMENTS_FILE = 'nag-acknowledgements.json';

/** One `Validations.of(construct).acknowledge({ id, reason })`. */
export interface NagAcknowledgement {
  readonly ruleId: string;
  /** The construct it was recorded on; it covers that construct's resources. */
  readonly constructPath: string;
  readonly reason: string;
}

/** Every acknowledgement recorded in the tree under `scope`, in construct-tree order. */
export function collectAcknowledgements(scope: IConstruct): NagAcknowledgement[] {
  const found: NagAcknowledgement[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        // aws-cdk-lib records the ids with an `Annotation::` prefix.
        found.push({ ruleId: id.replace(/^annotation::/i, ''), constructPath: construct.node.path, reason });
      }
    }
  }
  return found;
}

/**
 * Writes {@link NAG_ACKNOWLEDGEMENTS_FILE} into the synthesized assembly: the acknowledgements
 * with a count per rule. The pipeline's synth step publishes it with the validation report.
 *
 * @returns the file written
 */
export function writeAcknowledgementReport(app: App, assembly: CloudAssembly): string {
  const acknowledgements = collectAcknowledgements(app);
  const countsByRule: Record<string, number> = {};
  for (const { ruleId } of acknowledgements) countsByRule[ruleId] = (countsByRule[ruleId] ?? 0) + 1;
  const file = path.join(assembly.directory, NAG_ACKNOWLEDGEMENTS_FILE);
  const sortedCounts = Object.fromEntries(
    Object.entries(countsByRule).sort(([a], [b]) => a.localeCompare(b))
  );
  fs.writeFileSync(
    file,
    `${JSON.stringify({ title: 'Acknowledged validation rules', countsByRule: sortedCounts, acknowledgements }, null, 2)}\n`
  );
  return file;
}

interface ValidationReport {
  readonly pluginReports?: ReadonlyArray<{
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: ReadonlyArray<{
      readonly ruleName: string;
      readonly description: string;
      readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string }>;
    }>;
  }>;
}

/**
 * Fails the app process when the validation report holds a failure.
 *
 * The CDK CLI turns off the framework's own fail-on-validation switch and re-reads the report
 * only for the stacks it selected: `cdk synth` with no stack ids selects the top-level stacks,
 * never the stacks inside stages, so their findings would pass silently. Checking the report
 * here makes every `cdk synth` (and the pipeline's synth step) exit non-zero on any finding.
 *
 * @returns the failing findings, one line each (empty when the gate passes)
 */
export function enforceValidationReport(assembly: CloudAssembly): string[] {
  const file = path.join(assembly.directory, VALIDATION_REPORT_FILE);
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
  const findings = (report.pluginReports ?? [])
    .filter((plugin) => plugin.conclusion !== 'success')
    .flatMap((plugin) =>
      plugin.violations.flatMap((violation) =>
        violation.violatingConstructs.map(
          (c) => `${violation.ruleName} at ${c.constructPath ?? '?'}: ${violation.description}`
        )
      )
    );
  if (findings.length > 0) {
    process.stderr.write(
      `Synth gate (cdk-nag, Control Tower): ${findings.length} unacknowledged finding(s); fix them or acknowledge each on its ` +
        `resource with Validations.of(resource).acknowledge({ id, reason }):\n  ${findings.join('\n  ')}\n`
    );
    process.exitCode = 1;
  }
  return findings;
}
