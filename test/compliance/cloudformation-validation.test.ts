import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { addCloudFormationValidation } from '../../lib/compliance/cloudformation-validation';

/**
 * bin/app.ts replaces CDK's built-in CloudFormation validation with the same plugin in a separate
 * process (lib/compliance/cloudformation-validation.ts). These tests prove it is the same check:
 * the same findings as the built-in one on a template with schema errors, acknowledgements under
 * the same ids, and the process's engine started before the templates were written.
 */

interface ReportedViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string }>;
}
interface Report {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly ReportedViolation[];
  }>;
}

type Mode = 'built-in' | 'separate process';

/** One App with a queue whose properties break the CloudFormation schema; returns its report. */
function synthBrokenQueue(mode: Mode, acknowledge?: string): Report {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-validation-test-'));
  // As in cdk.json: findings of the built-in rules are errors, not warnings.
  const app = new App({
    outdir,
    builtinCloudFormationValidation: mode === 'built-in',
    context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
  // In the separate-process mode, a plugin between the dispatcher and the collector (as cdk-nag in bin/app.ts).
  const between: string[] = [];
  const plugin =
    mode === 'separate process'
      ? addCloudFormationValidation(app, undefined, () =>
          Validations.of(app).addPlugins({
            name: 'Between',
            validate: (context) => {
              between.push(...context.templatePaths.map((file) => path.basename(file)));
              return { success: true, violations: [] };
            },
          })
        )
      : undefined;
  const stack = new Stack(app, 'Broken', { env: { account: '111111111111', region: 'us-east-1' } });
  const queue = new CfnResource(stack, 'Queue', {
    type: 'AWS::SQS::Queue',
    properties: { NotAProperty: 1, VisibilityTimeout: 'soon' },
  });
  if (acknowledge) Validations.of(queue).acknowledge({ id: acknowledge, reason: 'test of acknowledgements' });
  // Under jest the framework throws on a failing validation (a CLI run sets the exit code instead),
  // after writing the report.
  expect(() => app.synth()).toThrow(/validation-report.json/);
  if (plugin) {
    expect(between).toEqual(['Broken.template.json']);
    // The engine was running before the template arrived, and validated it once.
    expect(plugin.stats).toEqual({
      templates: 1,
      engineStartMs: expect.any(Number),
      validateMs: expect.any(Number),
      maxRssKb: expect.any(Number),
    });
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, VALIDATION_REPORT_FILE), 'utf8')) as Report;
  fs.rmSync(outdir, { recursive: true, force: true });
  return report;
}

/** The findings without what differs between runs (stack traces, library versions). */
function findings(report: Report): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map(
        (c) =>
          `${plugin.pluginName} ${plugin.conclusion} ${v.severity} ${v.ruleName} ${c.constructPath}: ${v.description}`
      )
    )
  );
}

describe('CloudFormation validation in a separate process', () => {
  const builtIn = findings(synthBrokenQueue('built-in'));
  // Acknowledges one of the two findings: the other must still fail the synth.
  const separate = findings(synthBrokenQueue('separate process', 'CloudFormation-Validate::F3002'));
  const F3002 =
    "CloudFormation Validate failure error F3002 Broken/Queue: NotAProperty: Additional properties are not allowed ('NotAProperty' was unexpected)";
  const F3012 =
    "CloudFormation Validate failure error F3012 Broken/Queue: VisibilityTimeout: 'soon' is not of type 'integer'";

  test('the built-in validation finds both schema errors, as errors that fail the synth', () => {
    expect(builtIn).toEqual([F3002, F3012]);
  });

  test('the process reports the same findings, and honours acknowledgements under the built-in ids', () => {
    expect(separate).toEqual([F3012]);
  });
});
