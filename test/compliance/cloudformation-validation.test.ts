import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { VALIDATE_AGAINST_DEFAULT_RULES, VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import {
  addCloudFormationValidation,
  BackgroundCloudFormationValidation,
} from '../../lib/compliance/cloudformation-validation';
import { ValidationProcess } from '../../lib/compliance/validation-process';
import { addBrokenQueues, type BrokenQueuesOptions } from '../fixtures/broken-queues';
import { sleep } from '../support/test-assembly';

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

interface SynthOptions extends BrokenQueuesOptions {
  /** The process's cache of findings. @default - none */
  readonly cacheDir?: string;
  /** A process started ahead for this synth's output folder, as bin/app.ts starts it. @default - one now */
  readonly validationProcess?: StartedProcess;
  /** Wait until the process has validated the stage's template ahead. @default false */
  readonly waitForAhead?: boolean;
}

function newOutdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-validation-test-'));
}

function readReport(outdir: string): Report {
  const report = JSON.parse(fs.readFileSync(path.join(outdir, VALIDATION_REPORT_FILE), 'utf8')) as Report;
  fs.rmSync(outdir, { recursive: true, force: true });
  return report;
}

interface StartedProcess {
  readonly process: ValidationProcess;
  readonly outdir: string;
}

/** Starts a validation process for a new output folder: its engine starts while other work runs. */
function startProcess(cacheDir: string): StartedProcess {
  const outdir = newOutdir();
  return { process: new ValidationProcess({ cacheDir, outdir }), outdir };
}

interface SynthResult {
  readonly report: Report;
  readonly stats?: BackgroundCloudFormationValidation['stats'];
  /** The templates the process validated before the job arrived. */
  readonly validatedAhead?: readonly string[];
}

/** The broken-queues app with CDK's built-in validation, in an app process of its own. */
function synthWithBuiltIn(): Report {
  const outdir = newOutdir();
  const script = path.join(__dirname, '..', 'fixtures', 'builtin-validation-app.ts');
  const run = spawnSync(
    process.execPath,
    ['--liftoff-only', '--single-threaded', '--import', 'tsx', script, outdir],
    { encoding: 'utf8' }
  );
  // A failing validation sets the exit code of an app process, after writing the report.
  expect({ status: run.status, stderr: run.stderr }).toMatchObject({
    status: 1,
    stderr: expect.stringContaining("Acknowledge with 'CloudFormation-Validate::F3002'"),
  });
  return readReport(outdir);
}

/** The broken-queues app with the validation in a separate process (bin/app.ts's wiring). */
function synthInSeparateProcess(options: SynthOptions = {}): SynthResult {
  const outdir = options.validationProcess?.outdir ?? newOutdir();
  const stacks = options.stacks ?? ['Late'];
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { [VALIDATE_AGAINST_DEFAULT_RULES]: true },
  });
  const validationProcess =
    options.validationProcess?.process ?? new ValidationProcess({ cacheDir: options.cacheDir, outdir });
  // A plugin between the dispatcher and the collector (as cdk-nag in bin/app.ts).
  const between: string[] = [];
  const plugin = addCloudFormationValidation(
    app,
    new BackgroundCloudFormationValidation(validationProcess),
    () =>
      Validations.of(app).addPlugins({
        name: 'Between',
        validate: (context) => {
          between.push(...context.templatePaths);
          return { success: true, violations: [] };
        },
      })
  );
  const stage = addBrokenQueues(app, options);

  stage.synth();
  // The process validates the stage's template ahead (unless it is cached): waits for it to say so.
  const deadline = Date.now() + (options.waitForAhead ? 30_000 : 0);
  while (validationProcess.validatedAhead().length === 0 && Date.now() < deadline) {
    sleep(20);
  }
  const validatedAhead = validationProcess.validatedAhead();

  // Under jest the framework throws on a failing validation (an app process sets the exit code
  // instead), after writing the report.
  expect(() => app.synth()).toThrow(/validation-report.json/);
  expect(between).toHaveLength(stacks.length + 1);
  // The engine was running before the templates arrived.
  expect(plugin.stats).toMatchObject({ templates: stacks.length + 1, engineStartMs: expect.any(Number) });
  return { report: readReport(outdir), stats: plugin.stats, validatedAhead };
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

  // Both processes start their engines now, as bin/app.ts starts one before it builds the app.
  const [coldProcess, warmProcess] = [startProcess(cacheDir), startProcess(cacheDir)];
  const builtIn = findings(synthWithBuiltIn());
  // Acknowledges one of the two findings: the other must still fail the synth.
  const acknowledge = 'CloudFormation-Validate::F3002';
  const cold = synthInSeparateProcess({
    acknowledge,
    cacheDir,
    validationProcess: coldProcess,
    waitForAhead: true,
  });
  // The same two templates again (the stage's not even validated ahead: it is cached), and a new one.
  const warm = synthInSeparateProcess({
    acknowledge,
    cacheDir,
    validationProcess: warmProcess,
    stacks: ['Late', 'New'],
  });
  const finding = (rule: string, stack: string, text: string): string =>
    `CloudFormation Validate failure error ${rule} ${stack}/Queue: ${text}`;
  const F3002 = "NotAProperty: Additional properties are not allowed ('NotAProperty' was unexpected)";
  const F3012 = "VisibilityTimeout: 'soon' is not of type 'integer'";

  test('the built-in validation finds both schema errors, as errors that fail the synth', () => {
    // One violation per finding, naming the queue of each template.
    expect(builtIn).toEqual([
      finding('F3002', 'Early/Broken', F3002),
      finding('F3002', 'Late', F3002),
      finding('F3012', 'Early/Broken', F3012),
      finding('F3012', 'Late', F3012),
    ]);
  });

  test('the process reports the same findings, and honours acknowledgements under the built-in ids', () => {
    expect(findings(cold.report)).toEqual(builtIn.filter((f) => !f.includes('F3002')));
  });

  test("the stage's template was validated while the app went on, the rest when the job arrived", () => {
    expect(cold.validatedAhead).toEqual([
      expect.stringMatching(/assembly-Early\/EarlyBroken[0-9A-F]+\.template\.json$/),
    ]);
    expect(cold.stats).toMatchObject({ templates: 2, validatedAhead: 1, cachedTemplates: 0 });
  });

  test('a template validated before is not validated again: its findings come from the cache', () => {
    expect(warm.validatedAhead).toEqual([]);
    expect(warm.stats).toMatchObject({ templates: 3, validatedAhead: 0, cachedTemplates: 2 });
    expect(findings(warm.report)).toEqual([
      finding('F3012', 'Early/Broken', F3012),
      finding('F3012', 'Late', F3012),
      finding('F3012', 'New', F3012),
    ]);
    // One entry per template: the new one was added.
    expect(fs.readdirSync(cacheDir).filter((file) => file.endsWith('.json'))).toHaveLength(3);
  });
});
