import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'nag-gate-app.ts');

interface Result {
  readonly code: number;
  readonly output: string;
}

/** `cdk synth` with the real CLI, no stack selection (what users and the pipeline run). */
function cdkSynth(env: Record<string, string>): Promise<Result> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-gate-'));
  return new Promise((resolve) => {
    execFile(
      CDK,
      [
        'synth',
        '-q',
        '--app',
        `${TSX} ${FIXTURE}`,
        '--output',
        outdir,
        '--no-notices',
        '--no-version-reporting',
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        fs.rmSync(outdir, { recursive: true, force: true });
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: stdout + stderr,
        });
      }
    );
  });
}

describe('the cdk-nag synth gate, through the real CDK CLI', () => {
  test('fails `cdk synth` on a non-compliant resource inside a Stage, naming the rule', async () => {
    const result = await cdkSynth({ NAG_FIXTURE: 'violating' });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/AwsSolutions-SQS4 at Fixture\/NonCompliant\/PlainQueue/);
    expect(result.output).toMatch(/AwsSolutions-SQS3/);
  });

  test('passes the same app once the findings are acknowledged with a reason', async () => {
    const result = await cdkSynth({ NAG_FIXTURE: 'acknowledged' });
    expect(result.output).not.toMatch(/cdk-nag gate/);
    expect(result.code).toBe(0);
  });
});
