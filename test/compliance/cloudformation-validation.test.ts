import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import {
  addCloudFormationValidation,
  BackgroundCloudFormationValidation,
} from '../../lib/compliance/cloudformation-validation';
import { ValidationProcess } from '../../lib/compliance/validation-process';

/**
 * bin/app.ts replaces CDK's built-in CloudFormation validation with the same plugin in a separate
 * process (lib/compliance/cloudformation-validation.ts). These tests prove it is the same check:
 * the same findings as the built-in one on templates with schema errors, acknowledgements under
 * the same ids, the process's engine started before the templates were written, and its cache of
 * findings used only for templates it validated before.
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

interface SynthOptions {
  /** Acknowledge this finding on every queue. */
  readonly acknowledge?: string;
  /** The separate process's cache of findings. @default - none */
  readonly cacheDir?: string;
  /** One stack with a broken queue per name. @default ['Broken', 'AlsoBroken'] */
  readonly stacks?: readonly string[];
}

interface SynthResult {
  readonly report: Report;
  readonly stats?: BackgroundCloudFormationValidation['stats'];
}

/**
 * One App with stacks holding a queue whose properties break the CloudFormation schema (the same
 * findings in two templates: the plugin merges them into one violation); returns its report.
 */
function synthBrokenQueues(mode: Mode, options: SynthOptions = {}): SynthResult {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-validation-test-'));
  const stacks = options.stacks ?? ['Broken', 'AlsoBroken'];
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
      ? addCloudFormationValidation(
          app,
          new BackgroundCloudFormationValidation(new ValidationProcess({ cacheDir: options.cacheDir })),
          () =>
            Validations.of(app).addPlugins({
              name: 'Between',
              validate: (context) => {
                between.push(...context.templatePaths.map((file) => path.basename(file)));
                return { success: true, violations: [] };
              },
            })
        )
      : undefined;
  for (const id of stacks) {
    const stack = new Stack(app, id, { env: { account: '111111111111', region: 'us-east-1' } });
    const queue = new CfnResource(stack, 'Queue', {
      type: 'AWS::SQS::Queue',
      properties: { NotAProperty: 1, VisibilityTimeout: 'soon' },
    });
    if (options.acknowledge) {
      Validations.of(queue).acknowledge({ id: options.acknowledge, reason: 'test of acknowledgements' });
    }
  }
  // Under jest the framework throws on a failing validation (a CLI run sets the exit code instead),
  // after writing the report.
  expect(() => app.synth()).toThrow(/validation-report.json/);
  if (plugin) {
    expect(between.sort()).toEqual(stacks.map((id) => `${id}.template.json`).sort());
    // The engine was running before the templates arrived.
    expect(plugin.stats).toMatchObject({ templates: stacks.length, engineStartMs: expect.any(Number) });
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, VALIDATION_REPORT_FILE), 'utf8')) as Report;
  fs.rmSync(outdir, { recursive: true, force: true });
  return { report, stats: plugin?.stats };
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
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-validation-cache-'));
  afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  const builtIn = findings(synthBrokenQueues('built-in').report);
  // Acknowledges one of the two findings: the other must still fail the synth.
  const cold = synthBrokenQueues('separate process', {
    acknowledge: 'CloudFormation-Validate::F3002',
    cacheDir,
  });
  // The same two templates again, and a third, new one.
  const warm = synthBrokenQueues('separate process', {
    acknowledge: 'CloudFormation-Validate::F3002',
    cacheDir,
    stacks: ['Broken', 'AlsoBroken', 'New'],
  });
  const finding = (rule: string, stack: string, text: string): string =>
    `CloudFormation Validate failure error ${rule} ${stack}/Queue: ${text}`;
  const F3002 = "NotAProperty: Additional properties are not allowed ('NotAProperty' was unexpected)";
  const F3012 = "VisibilityTimeout: 'soon' is not of type 'integer'";

  test('the built-in validation finds both schema errors, as errors that fail the synth', () => {
    // One violation per finding, naming the queue of each template.
    expect(builtIn).toEqual([
      finding('F3002', 'AlsoBroken', F3002),
      finding('F3002', 'Broken', F3002),
      finding('F3012', 'AlsoBroken', F3012),
      finding('F3012', 'Broken', F3012),
    ]);
  });

  test('the process reports the same findings, and honours acknowledgements under the built-in ids', () => {
    expect(findings(cold.report)).toEqual(builtIn.filter((f) => !f.includes('F3002')));
    expect(cold.stats).toMatchObject({ templates: 2, cachedTemplates: 0 });
  });

  test('a template validated before is not validated again: its findings come from the cache', () => {
    expect(warm.stats).toMatchObject({ templates: 3, cachedTemplates: 2 });
    expect(findings(warm.report)).toEqual([
      finding('F3012', 'AlsoBroken', F3012),
      finding('F3012', 'Broken', F3012),
      finding('F3012', 'New', F3012),
    ]);
    // One entry per template: the new one was added.
    expect(fs.readdirSync(cacheDir).filter((file) => file.endsWith('.json'))).toHaveLength(3);
  });
});
