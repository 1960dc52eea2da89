import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLOUD_ASSEMBLY_DIR } from '../../lib/pipeline/synth-step';

const ROOT = path.join(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

export interface CdkSynthResult {
  readonly code: number;
  /** What the CLI and the app printed. */
  readonly output: string;
  /** The build directory: `cdk.out/` inside it holds the cloud assembly. */
  readonly dir: string;
}

/**
 * `cdk synth` of an app file with the real CLI and no stack selection (what users and the pipeline
 * run), into `<new temporary directory>/cdk.out`; `env` selects the fixture's variant.
 */
export function cdkSynth(appFile: string, env: Record<string, string>): Promise<CdkSynthResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  return new Promise((resolve) => {
    execFile(
      CDK,
      [
        'synth',
        '-q',
        '--app',
        // As cdk.json runs bin/app.ts.
        `node --import tsx ${appFile}`,
        '--output',
        path.join(dir, CLOUD_ASSEMBLY_DIR),
        '--no-notices',
        '--no-version-reporting',
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 150_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: stdout + stderr,
          dir,
        })
    );
  });
}
