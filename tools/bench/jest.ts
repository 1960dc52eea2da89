import * as fs from 'node:fs';
import * as path from 'node:path';
import { timed, type TimedRun } from './lib/exec';

export interface JestCounts {
  readonly suites: string;
  readonly tests: string;
  /** "29 total" → 29 */
  readonly suitesTotal: number;
}

export interface CommandRun extends TimedRun {
  readonly label: string;
  readonly command: string;
  readonly counts?: JestCounts;
}

/** jest's summary lines ("Test Suites: 1 failed, 26 passed, 27 total"). */
function jestCounts(logFile: string): JestCounts | undefined {
  const text = fs.readFileSync(logFile, 'utf8');
  const suites = /^Test Suites:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const tests = /^Tests:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const suitesTotal = Number(/(\d+) total/.exec(suites ?? '')?.[1] ?? Number.NaN);
  return suites && tests ? { suites, tests, suitesTotal } : undefined;
}

export interface JestBenchOptions {
  readonly projectRoot: string;
  readonly workRoot: string;
  readonly logRoot: string;
}

/**
 * `npm test` is `npm run typecheck && jest --ci` (TypeScript 7's native tsc over the whole
 * project, then jest transpiling with swc): its two commands are timed separately (and both run
 * even if tsc fails, so the jest time is always there). The type-checking variant is the same jest
 * run with bench/jest.typecheck.config.js. Every jest run gets a fresh cache directory (cold, as
 * in CI: no transform cache carried over between variants or from other runs) and writes its
 * JUnit report under the bench's own folder.
 */
export function runJestBench(options: JestBenchOptions): CommandRun[] {
  const run = (label: string, id: string, command: string, args: string[], jest: boolean): CommandRun => {
    const cacheDir = path.join(options.workRoot, `jest-cache-${id}`);
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const fullArgs = jest ? [...args, '--cacheDirectory', cacheDir] : args;
    const result = timed(command, fullArgs, {
      cwd: options.projectRoot,
      env: { JEST_JUNIT_OUTPUT_DIR: path.join(options.workRoot, `junit-${id}`) },
      logFile: path.join(options.logRoot, `${id}.log`),
      timeoutMs: 60 * 60_000,
    });
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const counts = jest ? jestCounts(result.logFile) : undefined;
    return { ...result, label, command: `${command} ${args.join(' ')}`, ...(counts ? { counts } : {}) };
  };
  return [
    run('npm test, part 1: type-check (TypeScript 7)', 'tsc', 'npm', ['run', '-s', 'typecheck'], false),
    run('npm test, part 2: jest --ci (swc, transpile only)', 'jest-isolated', 'npx', ['jest', '--ci'], true),
    run(
      'jest --ci, ts-jest type-checking (bench/jest.typecheck.config.js)',
      'jest-typecheck',
      'npx',
      ['jest', '--ci', '-c', 'bench/jest.typecheck.config.js'],
      true
    ),
  ];
}
