/**
 * Run by the jest global setup (test-assembly.ts synthTestAssembly) in its own Node.js process,
 * once per jest run, from the code as it is now. Writes the PipelineStack app's assembly (every
 * stage's nested assembly included) under the given directory; the test files read it through
 * templates.ts instead of each building the same app again.
 *
 * Usage: node --import tsx test/support/synth-test-assembly.ts <directory>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cdkJsonContext } from '../../lib/config';
import { synthesizeAssembly } from '../../tools/diagram/io';
import { NO_STACK_TRACES } from './app';
import { assemblyDirIn, DONE_FILE, FAILED_FILE } from './test-assembly';

const SYNTH_SCRIPT_NAME = 'test/support/synth-test-assembly.ts';

const root = process.argv[2];
if (!root || !fs.existsSync(root)) throw new Error('usage: synth-test-assembly.ts <existing directory>');

try {
  // `npm run diagram`'s own synth (bundling, validation and the nag gate off) into a new temporary
  // directory, moved under the root. Creation stack traces only go into the manifest's metadata,
  // which no test reads.
  const assembly = synthesizeAssembly({ ...cdkJsonContext(), ...NO_STACK_TRACES });
  fs.renameSync(assembly, assemblyDirIn(root));
  fs.writeFileSync(path.join(root, DONE_FILE), '');
} catch (error) {
  fs.writeFileSync(
    path.join(root, FAILED_FILE),
    `${SYNTH_SCRIPT_NAME} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
  );
  process.exitCode = 1;
}
