import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUNDLE_OPTIONS, FUNCTIONS_DIR } from '../../lib/constructs/function-code';
import { median } from './stats';

const ROOT = path.join(__dirname, '..', '..');

/** In a fresh Node process, as in a synth: esbuild's API, one build per function. */
const API = `const { buildSync } = require('esbuild');
const [options, entries, outDir] = JSON.parse(process.argv[1]);
entries.forEach((entry, i) => buildSync({ ...options, entryPoints: [entry], outfile: outDir + '/' + i + '/index.js' }));`;

/** NodejsFunction's local bundling: one `bash -c "npx --no-install esbuild ..."` per function. */
function cliCommand(entry: string, outfile: string): string {
  return (
    `npx --no-install esbuild --bundle ${entry} --platform=node --target=${BUNDLE_OPTIONS.target} --format=cjs ` +
    `--minify --sourcemap --sources-content=false "--external:@aws-sdk/*" --log-level=warning --outfile=${outfile}`
  );
}

/**
 * Every function bundled the app's way (lib/constructs/function-code.ts) and NodejsFunction's
 * way, `reps` times each: median wall ms of all functions.
 */
export function benchBundling(workDir: string, reps: number) {
  const entries = fs
    .readdirSync(FUNCTIONS_DIR)
    .map((name) => path.join(FUNCTIONS_DIR, name, 'index.ts'))
    .filter((entry) => fs.existsSync(entry));
  const out = path.join(workDir, 'bundling');
  const timedMs = (run: () => boolean) => {
    const start = performance.now();
    if (!run()) throw new Error('bundling failed: run the command in tools/bench/bundling.ts by hand');
    return performance.now() - start;
  };
  const api: number[] = [];
  const cli: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const args = ['-e', API, JSON.stringify([BUNDLE_OPTIONS, entries, path.join(out, 'api')])];
    api.push(timedMs(() => spawnSync(process.execPath, args, { cwd: ROOT }).status === 0));
    cli.push(
      timedMs(() =>
        entries.every((entry, i) => {
          const command = cliCommand(entry, path.join(out, 'cli', String(i), 'index.js'));
          return spawnSync('bash', ['-c', command], { cwd: ROOT }).status === 0;
        })
      )
    );
  }
  fs.rmSync(out, { recursive: true, force: true });
  return { functions: entries.length, apiMs: median(api), cliMs: median(cli) };
}
