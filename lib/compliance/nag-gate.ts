import * as fs from 'node:fs';
import * as path from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { type CloudAssembly, VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * The cdk-nag synth gate.
 *
 * cdk-nag 3 runs as a policy-validation plugin on the App, which walks the whole construct tree,
 * stacks inside Stages included (a v2 Aspect on the App never reached them). Any unacknowledged
 * finding, warning or error, is a failure.
 *
 * `bin/app.ts` and the gate's own test fixture both use these two functions, so the test proves
 * the real wiring.
 */
export function addNagGate(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
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
      `cdk-nag gate: ${findings.length} unacknowledged finding(s); fix them or acknowledge each on its ` +
        `resource with Validations.of(resource).acknowledge({ id, reason }):\n  ${findings.join('\n  ')}\n`
    );
    process.exitCode = 1;
  }
  return findings;
}
