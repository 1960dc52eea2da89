import { type Summary } from './stats';

/** Markdown lines, printed to the console as they are and written to bench/results.md. */
export class Report {
  private readonly lines: string[] = [];

  heading(text: string): void {
    this.lines.push('', `## ${text}`, '');
  }

  paragraph(text: string): void {
    this.lines.push(text, '');
  }

  table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
    const widths = header.map((cell, i) =>
      Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length))
    );
    const line = (cells: readonly string[]) =>
      `| ${cells.map((cell, i) => (cell ?? '').padEnd(widths[i] ?? 0)).join(' | ')} |`;
    this.lines.push(line(header), `| ${widths.map((w) => '-'.repeat(Math.max(3, w))).join(' | ')} |`);
    for (const row of rows) this.lines.push(line(row));
    this.lines.push('');
  }

  append(other: Report): void {
    this.lines.push(...other.lines);
  }

  toString(): string {
    return `${this.lines.join('\n').trim()}\n`;
  }
}

export function seconds(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)} s` : 'n/a';
}

export function millis(value: number, digits = 0): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

export function mebibytes(kib: number): string {
  return Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : 'n/a';
}

export function kibibytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : 'n/a';
}

export function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

/** median / min / max cells of a summary, formatted. */
export function summaryCells(summary: Summary, format: (value: number) => string): string[] {
  return [format(summary.median), format(summary.min), format(summary.max)];
}

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}
