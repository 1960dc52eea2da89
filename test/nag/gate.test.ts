import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { NAG_ACKNOWLEDGEMENTS_FILE } from '../../lib/compliance/nag-gate';
import { CLOUD_ASSEMBLY_DIR, NAG_REPORTS_DIR, parseBuildSpec } from '../../lib/pipeline/synth-step';
import { type CdkSynthResult, cdkSynth } from '../support/cdk-cli';

/**
 * The cdk-nag gate through the real CLI (it fails `cdk synth` on a finding inside a Stage, and
 * passes once it is acknowledged), and its reports: `cdk synth` leaves them in the cloud assembly
 * (cdk-nag 3 writes no report files of its own: CDK's validation report plus the gate's
 * acknowledgement report), and the pipeline's synth step publishes them as a secondary artifact,
 * copied by buildspec.yml's post_build (that artifact's test is in
 * test/pipeline/build-gates.test.ts, on the synth-step pipeline that file builds anyway).
 */
const FIXTURE = path.join(__dirname, 'fixtures', 'nag-gate-app.ts');

type SynthResult = CdkSynthResult;
const synth = (fixture: 'violating' | 'acknowledged'): Promise<SynthResult> =>
  cdkSynth(FIXTURE, { NAG_FIXTURE: fixture });

const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('the cdk-nag synth gate, through the real CDK CLI', () => {
  let violating: SynthResult;
  let acknowledged: SynthResult;
  beforeAll(async () => {
    [violating, acknowledged] = await Promise.all([synth('violating'), synth('acknowledged')]);
  }, 180_000);
  afterAll(() => {
    for (const result of [violating, acknowledged]) {
      if (result) fs.rmSync(result.dir, { recursive: true, force: true });
    }
  });

  test('fails `cdk synth` on a non-compliant resource inside a Stage, naming the rule', () => {
    expect(violating.code).not.toBe(0);
    expect(violating.output).toMatch(/AwsSolutions-SQS4 at Fixture\/NonCompliant\/PlainQueue/);
    expect(violating.output).toMatch(/AwsSolutions-SQS3/);
  });

  test('passes the same app once the findings are acknowledged with a reason', () => {
    expect(acknowledged.output).not.toMatch(/Synth gate/);
    expect(acknowledged.code).toBe(0);
  });

  test('a failing gate: the validation report in the cloud assembly names each finding of both packs', () => {
    expect(violating.code).not.toBe(0);
    const report = readJson(path.join(violating.dir, CLOUD_ASSEMBLY_DIR, VALIDATION_REPORT_FILE)) as {
      pluginReports: Array<{
        pluginName: string;
        conclusion: string;
        violations: Array<{ ruleName: string }>;
      }>;
    };
    const failures = Object.fromEntries(
      report.pluginReports.map((p) => [p.pluginName, p.violations.map((v) => v.ruleName).sort()])
    );
    expect(failures).toEqual({
      AwsSolutions: ['AwsSolutions-SQS3', 'AwsSolutions-SQS4'],
      Serverless: ['Serverless-SQSRedrivePolicy'],
      ControlTower: ['sqs_dlq_check', 'sqs_queue_encrypted_check'],
    });
    expect(fs.existsSync(path.join(violating.dir, CLOUD_ASSEMBLY_DIR, NAG_ACKNOWLEDGEMENTS_FILE))).toBe(true);
  });

  test('a passing gate: an empty validation report and every acknowledgement with its reason', () => {
    expect(acknowledged.code).toBe(0);
    const assembly = path.join(acknowledged.dir, CLOUD_ASSEMBLY_DIR);
    // cdk-nag's packs leave acknowledged findings out; aws-cdk-lib lists the Control Tower pack's as
    // suppressed. Either way no plugin reports a violation.
    const { pluginReports } = readJson(path.join(assembly, VALIDATION_REPORT_FILE)) as {
      pluginReports: Array<{ conclusion: string; violations: unknown[] }>;
    };
    for (const plugin of pluginReports)
      expect(plugin).toMatchObject({ conclusion: 'success', violations: [] });
    const reason = 'Fixture: proves acknowledged findings pass the gate.';
    const queue = 'Fixture/NonCompliant/PlainQueue';
    expect(readJson(path.join(assembly, NAG_ACKNOWLEDGEMENTS_FILE))).toEqual({
      title: 'Acknowledged validation rules',
      countsByRule: {
        'AwsSolutions-SQS3': 1,
        'AwsSolutions-SQS4': 1,
        'ControlTower::sqs_dlq_check': 1,
        'ControlTower::sqs_queue_encrypted_check': 1,
        'Serverless-SQSRedrivePolicy': 1,
      },
      acknowledgements: [
        { ruleId: 'AwsSolutions-SQS3', constructPath: queue, reason },
        { ruleId: 'AwsSolutions-SQS4', constructPath: queue, reason },
        { ruleId: 'Serverless-SQSRedrivePolicy', constructPath: queue, reason },
        { ruleId: 'ControlTower::sqs_dlq_check', constructPath: queue, reason },
        { ruleId: 'ControlTower::sqs_queue_encrypted_check', constructPath: queue, reason },
      ],
    });
  });

  test("buildspec.yml's post_build copies both into the secondary artifact's directory", () => {
    const postBuild = (parseBuildSpec().partialBuildSpec.phases as Record<string, { commands: string[] }>)
      .post_build;
    expect(postBuild?.commands.length).toBeGreaterThan(0);
    for (const command of postBuild!.commands) {
      execFileSync('sh', ['-c', command], { cwd: acknowledged.dir, stdio: 'pipe' });
    }
    expect(fs.readdirSync(path.join(acknowledged.dir, NAG_REPORTS_DIR)).sort()).toEqual(
      [NAG_ACKNOWLEDGEMENTS_FILE, VALIDATION_REPORT_FILE].sort()
    );
  });
});
