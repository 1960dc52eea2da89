import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const ms = (value: number, digits = 0): string =>
  Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
export const s = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)} s` : 'n/a');
export const x = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
export const mib = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : 'n/a');

export interface TimedRun {
  readonly wallS: number;
  /** GNU time's %M: peak RSS of the largest single process of the tree, in KiB. */
  readonly maxRssKb: number;
  readonly status: number;
  readonly log: string;
}

/** Runs a command in the project's root under GNU time, its output to `log`. */
export function timed(command: string, args: readonly string[], log: string, env = process.env): TimedRun {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const timeFile = `${log}.time`;
  const fd = fs.openSync(log, 'w');
  const result = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %M', command, ...args], {
    cwd: path.join(__dirname, '..', '..'),
    env,
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const [wall, rss] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(timeFile);
  return { wallS: wall ?? Number.NaN, maxRssKb: rss ?? Number.NaN, status: result.status ?? -1, log };
}

/** A Markdown table. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
