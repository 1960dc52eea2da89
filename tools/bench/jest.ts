import * as fs from 'node:fs';
import * as path from 'node:path';
import { timed, type TimedRun } from './stats';

export interface CommandRun extends TimedRun {
  readonly command: string;
  /** jest's summary lines, e.g. "40 passed, 40 total". */
  readonly suites?: string;
  readonly tests?: string;
}

/**
 * `npm test` is `npm run typecheck && jest --ci` (jest transpiling with swc): its two commands are
 * timed apart, against the same suites under ts-jest's type-checking (jest.typecheck.config.js).
 * Each jest run starts with an empty cache, as in CI.
 */
export function benchJest(workDir: string, log: (m: string) => void): CommandRun[] {
  const run = (id: string, command: string, args: readonly string[]): CommandRun => {
    const cache = path.join(workDir, `jest-cache-${id}`);
    fs.rmSync(cache, { recursive: true, force: true });
    const jest = args[0] === 'jest';
    const env = { ...process.env, JEST_JUNIT_OUTPUT_DIR: path.join(workDir, `junit-${id}`) };
    const result = timed(
      command,
      jest ? [...args, '--cacheDirectory', cache] : args,
      path.join(workDir, 'logs', `${id}.log`),
      env
    );
    fs.rmSync(cache, { recursive: true, force: true });
    log(`${id}: ${result.wallS.toFixed(1)} s, exit ${result.status}`);
    const output = fs.readFileSync(result.log, 'utf8');
    const suites = /^Test Suites:\s*(.+)$/m.exec(output)?.[1];
    const tests = /^Tests:\s*(.+)$/m.exec(output)?.[1];
    return { ...result, command: `${command} ${args.join(' ')}`, ...(jest ? { suites, tests } : {}) };
  };
  return [
    run('typecheck', 'npm', ['run', '-s', 'typecheck']),
    run('jest-swc', 'npx', ['jest', '--ci']),
    run('jest-ts-jest', 'npx', ['jest', '--ci', '-c', 'tools/bench/jest.typecheck.config.js']),
  ];
}
