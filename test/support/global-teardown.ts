import * as fs from 'node:fs';
import type { GlobalState } from './global-setup';
import { TEST_ASSEMBLY_ENV } from './test-assembly';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as GlobalState;
  await state.__DYNAMODB_LOCAL__?.stop();
  // Its process may still run if no test read it (a run of a few files): wait, then remove it.
  const failure = await state.__TEST_ASSEMBLY_SYNTH__;
  const root = process.env[TEST_ASSEMBLY_ENV];
  if (root) fs.rmSync(root, { recursive: true, force: true });
  // Loud even when no test read the assembly.
  if (failure) throw failure;
}
