import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface TimedRun {
  /** Wall-clock seconds (GNU time %e). */
  readonly wallS: number;
  /**
   * GNU time %M in KiB: the largest maximum RSS of ONE process of the tree (the waited child or
   * any waited-for descendant), not a sum over processes. bench/run.ts checks this on each run.
   */
  readonly maxRssKb: number;
  readonly exitCode: number;
  /** stdout and stderr, interleaved, as written to `logFile`. */
  readonly logFile: string;
}

export interface TimedOptions {
  readonly cwd: string;
  /** Added to (or, with `cleanEnv`, replacing) the parent environment. */
  readonly env?: Record<string, string>;
  readonly cleanEnv?: boolean;
  readonly logFile: string;
  readonly timeoutMs?: number;
}

/** Runs `command args` under GNU time; output goes to `logFile`. */
export function timed(command: string, args: readonly string[], options: TimedOptions): TimedRun {
  const timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}-${Date.now()}.txt`);
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'w');
  try {
    const result = spawnSync(GNU_TIME, ['-o', timeFile, '-f', '%e %M', command, ...args], {
      cwd: options.cwd,
      env: options.cleanEnv ? options.env : { ...process.env, ...options.env },
      stdio: ['ignore', log, log],
      timeout: options.timeoutMs,
    });
    const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
    const [wall, rss] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    return {
      wallS: wall ?? Number.NaN,
      maxRssKb: rss ?? Number.NaN,
      exitCode: result.status ?? -1,
      logFile: options.logFile,
    };
  } finally {
    fs.closeSync(log);
    fs.rmSync(timeFile, { force: true });
  }
}

/** The last `lines` lines of a log, for a failure message. */
export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
