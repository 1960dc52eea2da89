/**
 * Run by the jest global setup (test-assembly.ts synthTestAssemblies) in its own Node.js process,
 * once per jest run, from the code as it is now. Writes the assemblies of TEST_ASSEMBLIES into the
 * given directory; the test files read them instead of each building the same app again (~1.3 s of
 * CPU per file).
 *
 * Usage: node --import tsx test/support/synth-test-assembly.ts <directory>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cdkJsonContext } from '../../lib/config';
import { synthesizeAssembly } from '../../tools/diagram/io';
import { NO_STACK_TRACES, synthAllStages } from './app';
import { DONE_FILE, FAILED_FILE, TEST_ASSEMBLIES } from './test-assembly';

const SYNTH_SCRIPT_NAME = 'test/support/synth-test-assembly.ts';

const root = process.argv[2];
if (!root || !fs.existsSync(root)) throw new Error('usage: synth-test-assembly.ts <existing directory>');

try {
  // As the template tests built it in every file: bundling and CloudFormation validation off.
  synthAllStages({ outdir: path.join(root, TEST_ASSEMBLIES.stages) }).app.synth();

  // `npm run diagram`'s own synth (into a new temporary directory), moved under the root. Creation
  // stack traces only go into the manifest's metadata, which the diagrams do not read.
  const pipeline = synthesizeAssembly({ ...cdkJsonContext(), ...NO_STACK_TRACES });
  fs.renameSync(pipeline, path.join(root, TEST_ASSEMBLIES.pipeline));

  fs.writeFileSync(path.join(root, DONE_FILE), '');
} catch (error) {
  fs.writeFileSync(
    path.join(root, FAILED_FILE),
    `${SYNTH_SCRIPT_NAME} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
  );
  process.exitCode = 1;
}
