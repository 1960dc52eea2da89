import * as fs from 'node:fs';
import * as path from 'node:path';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { CLOUD_ASSEMBLY_DIR } from '../../lib/pipeline/synth-step';
import { type CdkSynthResult, cdkSynth } from '../support/cdk-cli';

/**
 * The AWS Control Tower pack of the synth gate through the real CLI: it fails `cdk synth` on a
 * resource only that pack rejects, inside a Stage; an acknowledgement of one finding does not let
 * the others through; and the app passes once every finding is acknowledged.
 */
const FIXTURE = path.join(__dirname, 'fixtures', 'control-tower-gate-app.ts');

type Mode = 'violating' | 'key-acknowledged' | 'acknowledged';
type SynthResult = CdkSynthResult;
const synth = (mode: Mode): Promise<SynthResult> => cdkSynth(FIXTURE, { CT_FIXTURE: mode });

function failedRules(result: SynthResult): Record<string, string[]> {
  const report = JSON.parse(
    fs.readFileSync(path.join(result.dir, CLOUD_ASSEMBLY_DIR, VALIDATION_REPORT_FILE), 'utf8')
  ) as { pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string }> }> };
  return Object.fromEntries(
    report.pluginReports.map((p) => [p.pluginName, p.violations.map((v) => v.ruleName).sort()])
  );
}

describe('the AWS Control Tower pack of the synth gate, through the real CDK CLI', () => {
  const results = {} as Record<Mode, SynthResult>;
  beforeAll(async () => {
    const modes: Mode[] = ['violating', 'key-acknowledged', 'acknowledged'];
    const runs = await Promise.all(modes.map(synth));
    modes.forEach((mode, i) => (results[mode] = runs[i]!));
  }, 300_000);
  afterAll(() => {
    for (const result of Object.values(results)) fs.rmSync(result.dir, { recursive: true, force: true });
  });

  test('fails `cdk synth` on resources inside a Stage that only Control Tower rejects, naming rule and resource', () => {
    expect(results.violating.code).not.toBe(0);
    expect(results.violating.output).toMatch(
      /kms_create_grant_aws_service_check at Fixture\/NonCompliant\/GrantableKey\/Resource/
    );
    expect(results.violating.output).toMatch(
      /subnet_auto_assign_public_ip_disabled_check at Fixture\/NonCompliant\/PublicIpSubnet/
    );
    // cdk-nag passes the same app: the second pack is what fails it.
    expect(failedRules(results.violating)).toEqual({
      ControlTower: ['kms_create_grant_aws_service_check', 'subnet_auto_assign_public_ip_disabled_check'],
    });
  });

  test('an acknowledged finding does not let the unacknowledged ones through', () => {
    expect(results['key-acknowledged'].code).not.toBe(0);
    expect(results['key-acknowledged'].output).toMatch(/subnet_auto_assign_public_ip_disabled_check at/);
    expect(results['key-acknowledged'].output).not.toMatch(/kms_create_grant_aws_service_check at/);
    expect(failedRules(results['key-acknowledged'])).toEqual({
      ControlTower: ['subnet_auto_assign_public_ip_disabled_check'],
    });
  });

  test('passes the same app once every finding is acknowledged with a reason', () => {
    expect(results.acknowledged.output).not.toMatch(/Synth gate/);
    expect(results.acknowledged.code).toBe(0);
    expect(failedRules(results.acknowledged)).toEqual({ ControlTower: [] });
  });
});
