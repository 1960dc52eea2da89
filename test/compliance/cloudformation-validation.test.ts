import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { VALIDATE_AGAINST_DEFAULT_RULES, VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { addBrokenQueues } from '../fixtures/broken-queues';

/*
 * CloudFormation validation is aws-cdk-lib's built-in plugin, on by default: every `cdk synth`
 * (and the pipeline's synth step) checks the templates against the CloudFormation schema and fails
 * on a finding; `cdk synth --no-validation` is the one way to skip it.
 */

// The jest global setup turns validation off for the other tests; this file tests the default.
const validationSetting = process.env.CDK_VALIDATION;
beforeAll(() => delete process.env.CDK_VALIDATION);
afterAll(() => {
  if (validationSetting !== undefined) process.env.CDK_VALIDATION = validationSetting;
});

interface Report {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: ReadonlyArray<{
      readonly ruleName: string;
      readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string }>;
    }>;
  }>;
}

/**
 * Synthesizes the broken-queues app with CDK's defaults. Outside the CLI, aws-cdk-lib throws on a
 * failed validation itself (the CLI reads the report instead): returns that error and the report.
 */
function synthBrokenQueues(acknowledge?: string): { error: unknown; report: Report } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-validation-test-'));
  try {
    // As in cdk.json: findings of the built-in rules are errors, not warnings.
    const app = new App({ outdir, context: { [VALIDATE_AGAINST_DEFAULT_RULES]: true } });
    addBrokenQueues(app, acknowledge ? { acknowledge } : {});
    let error: unknown;
    try {
      app.synth();
    } catch (caught) {
      error = caught;
    }
    const report = JSON.parse(fs.readFileSync(path.join(outdir, VALIDATION_REPORT_FILE), 'utf8')) as Report;
    return { error, report };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function violations(report: Report): string[] {
  return report.pluginReports
    .filter((plugin) => plugin.conclusion !== 'success')
    .flatMap((plugin) =>
      plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`))
    )
    .sort();
}

describe('CloudFormation validation (aws-cdk-lib built-in)', () => {
  test('finds the schema errors of every template, stage stacks included, and fails the gate', () => {
    const { error, report } = synthBrokenQueues();
    expect(String(error)).toMatch(/^ValidationFailed: /);
    expect(violations(report)).toEqual([
      'F3002 Early/Broken/Queue',
      'F3002 Late/Queue',
      'F3012 Early/Broken/Queue',
      'F3012 Late/Queue',
    ]);
  });

  test('honours an acknowledgement on the resource, and only for that rule', () => {
    const { error, report } = synthBrokenQueues('CloudFormation-Validate::F3002');
    expect(String(error)).toMatch(/^ValidationFailed: /);
    expect(violations(report)).toEqual(['F3012 Early/Broken/Queue', 'F3012 Late/Queue']);
  });

  test('is on in the app and in the pipeline: neither bin/app.ts nor buildspec.yml turns it off', () => {
    const root = path.join(__dirname, '..', '..');
    expect(fs.readFileSync(path.join(root, 'bin', 'app.ts'), 'utf8')).not.toMatch(
      /builtinCloudFormationValidation/
    );
    expect(fs.readFileSync(path.join(root, 'buildspec.yml'), 'utf8')).not.toMatch(
      /--no-validation|CDK_VALIDATION/
    );
  });
});
