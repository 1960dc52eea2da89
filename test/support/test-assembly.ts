import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The cloud assemblies the jest global setup synthesizes once per run (synth-test-assembly.ts) and
 * the test files read. Light on purpose (no aws-cdk-lib): the global setup imports it too.
 */

/** Set by the global setup for the workers: the directory holding both assemblies. */
export const TEST_ASSEMBLY_ENV = 'CDK_TEST_ASSEMBLY_DIR';

export const TEST_ASSEMBLIES = {
  /** Every environment's AppStage in one App (app.ts synthAllStages): bundling and validation off. */
  stages: 'stages',
  /** The PipelineStack app as `npm run diagram` synthesizes it (scripts/diagram/io.ts). */
  pipeline: 'pipeline',
} as const;
export type TestAssembly = keyof typeof TEST_ASSEMBLIES;

const ROOT = path.join(__dirname, '..', '..');
const SYNTH_SCRIPT = path.join(__dirname, 'synth-test-assembly.ts');

/**
 * Synthesizes both assemblies into `root` in a separate Node.js process (tsx, as cdk.json runs the
 * app): it runs beside DynamoDB Local's start-up, and costs the same under either jest transform.
 */
export function synthTestAssemblies(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SYNTH_SCRIPT, root],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${SYNTH_SCRIPT} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve();
      }
    );
  });
}

/**
 * The directory of one of this run's assemblies. Throws when the global setup did not make it:
 * a test never falls back to something synthesized differently, or left over from another run.
 */
export function testAssemblyDir(assembly: TestAssembly): string {
  const root = process.env[TEST_ASSEMBLY_ENV];
  if (!root) {
    throw new Error(
      `${TEST_ASSEMBLY_ENV} is not set: run the tests through jest (test/support/global-setup.ts synthesizes the app)`
    );
  }
  const dir = path.join(root, TEST_ASSEMBLIES[assembly]);
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new Error(`${dir} is not a cloud assembly (no manifest.json): the global setup's synth is missing`);
  }
  return dir;
}
