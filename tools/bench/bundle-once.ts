/**
 * One cold bundling, as a synth does it: a fresh process, whose first esbuild call also starts
 * esbuild's worker thread and service process. Prints the call's duration (ms) as JSON.
 */
import * as fs from 'node:fs';
import { buildFunctionBundles } from '../lib/constructs/function-bundles';

const bundles = buildFunctionBundles();
fs.rmSync(bundles.outdir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ durationMs: bundles.durationMs })}\n`);
