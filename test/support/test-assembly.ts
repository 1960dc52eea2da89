import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The one cloud assembly the jest global setup synthesizes per run (synth-test-assembly.ts): the
 * PipelineStack app, whose nested assemblies hold every environment's stage. Test files read it
 * through templates.ts. Light on purpose (no aws-cdk-lib): the global setup imports it too.
 */

/** Set by the global setup for the workers: the directory the assembly is synthesized under. */
export const TEST_ASSEMBLY_ENV = 'CDK_TEST_ASSEMBLY_DIR';
/** The assembly's directory under that root. */
const ASSEMBLY_DIR = 'pipeline';

const ROOT = path.join(__dirname, '..', '..');
const SYNTH_SCRIPT = path.join(__dirname, 'synth-test-assembly.ts');

/**
 * Written into the root by the synth process itself when it ends: `done`, or `failed` with why.
 * Not by the global setup: when jest runs the tests in band, a waiting test blocks jest's own
 * process, which could then never see the synth process exit.
 */
export const DONE_FILE = 'done';
export const FAILED_FILE = 'failed';
/** How long a test waits for the global setup's synth before it fails. */
const WAIT_MS = 120_000;

/** Where the synth process writes the assembly, under the global setup's root. */
export function assemblyDirIn(root: string): string {
  return path.join(root, ASSEMBLY_DIR);
}

/**
 * Synthesizes the assembly under `root` in a separate Node.js process (tsx, as cdk.json runs the
 * app), so it costs the same under either jest transform. The global setup does not wait for it:
 * it runs while DynamoDB Local starts and the first test files (which need no assembly) run;
 * {@link testAssemblyDir} waits for it. Resolves when the process has exited, with its error if it
 * failed.
 */
export function synthTestAssembly(root: string): Promise<Error | undefined> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SYNTH_SCRIPT, root],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: WAIT_MS },
      (error, stdout, stderr) => {
        if (!error) return resolve(undefined);
        const failure = new Error(`${SYNTH_SCRIPT} failed: ${error.message}\n${stdout}${stderr}`);
        // Unless the process said why itself (it was killed, or tsx failed before the script ran).
        if (!fs.existsSync(path.join(root, FAILED_FILE))) {
          fs.writeFileSync(path.join(root, FAILED_FILE), failure.message);
        }
        resolve(failure);
      }
    );
  });
}

/**
 * Blocks this thread: for waits in synchronous code (a test file's module scope reads templates
 * synchronously; CDK's validation plugins are synchronous).
 */
export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The directory of this run's assembly, once the global setup's synth has finished. Throws when the
 * synth failed or the global setup did not start one: a test never falls back to something
 * synthesized differently, or left over from another run.
 *
 * @param _assembly the one assembly there is; accepted for callers written when there were two
 */
export function testAssemblyDir(_assembly: 'pipeline' = 'pipeline'): string {
  const root = process.env[TEST_ASSEMBLY_ENV];
  if (!root) {
    throw new Error(
      `${TEST_ASSEMBLY_ENV} is not set: run the tests through jest (test/support/global-setup.ts synthesizes the app)`
    );
  }
  const deadline = Date.now() + WAIT_MS;
  while (!fs.existsSync(path.join(root, DONE_FILE))) {
    if (fs.existsSync(path.join(root, FAILED_FILE))) {
      throw new Error(fs.readFileSync(path.join(root, FAILED_FILE), 'utf8'));
    }
    if (!fs.existsSync(root) || Date.now() > deadline) {
      throw new Error(`the global setup's synth into ${root} did not finish`);
    }
    sleep(20);
  }
  const dir = assemblyDirIn(root);
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new Error(`${dir} is not a cloud assembly (no manifest.json)`);
  }
  return dir;
}
