/** Small, escaping Mermaid flowchart builders: every label is quoted, every id sanitized. */

export type NodeShape = 'rect' | 'round' | 'stadium' | 'diamond' | 'subroutine' | 'cylinder' | 'hexagon';

const SHAPES: Record<NodeShape, readonly [string, string]> = {
  rect: ['[', ']'],
  round: ['(', ')'],
  stadium: ['([', '])'],
  diamond: ['{', '}'],
  subroutine: ['[[', ']]'],
  cylinder: ['[(', ')]'],
  hexagon: ['{{', '}}'],
};

/** A Mermaid id from free text: letters, digits and `_` only (ids like `end` break parsing). */
export function mermaidId(...parts: readonly string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '')).join('_');
}

/** A quoted label; lines joined with `<br/>`. Quotes become entities so they can't end the label. */
export function quote(lines: string | readonly string[]): string {
  const text = (typeof lines === 'string' ? [lines] : lines)
    .map((l) => l.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>');
  return `"${text}"`;
}

export function node(id: string, label: string | readonly string[], shape: NodeShape = 'rect'): string {
  const [open, close] = SHAPES[shape];
  return `${id}${open}${quote(label)}${close}`;
}

/**
 * An arrow; `length` is the least number of ranks it spans (Mermaid's `--->`), which keeps its
 * source in an earlier rank than a length-1 arrow would pull it to.
 */
export function edge(
  from: string,
  to: string,
  label?: string | readonly string[],
  style: 'solid' | 'dotted' = 'solid',
  length = 1
): string {
  const extra = Math.max(0, Math.floor(length) - 1);
  const arrow = style === 'solid' ? `--${'-'.repeat(extra)}>` : `-.${'.'.repeat(extra)}->`;
  return label === undefined || label === '' || label.length === 0
    ? `${from} ${arrow} ${to}`
    : `${from} ${arrow}|${quote(label)}| ${to}`;
}

/** A subgraph with its body indented; `direction` lays out its own nodes. */
export function subgraph(
  id: string,
  title: string,
  body: readonly string[],
  direction?: 'LR' | 'TB'
): string[] {
  return [
    `subgraph ${id}[${quote(title)}]`,
    ...(direction ? [`  direction ${direction}`] : []),
    ...body.map((l) => `  ${l}`),
    'end',
  ];
}

/**
 * Items joined with `, ` into lines of at most `width` characters (an item longer than that gets a
 * line of its own): fewer, fuller lines than one item per line. Mermaid wraps labels at 200 px.
 */
export function packLines(items: readonly string[], width = 24): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 2 + item.length <= width) {
      lines[lines.length - 1] = `${last}, ${item}`;
    } else {
      lines.push(item);
    }
  }
  return lines;
}

/** A whole flowchart, fenced for Markdown. */
export function flowchart(direction: 'LR' | 'TB' | 'TD' | 'BT', body: readonly string[]): string {
  return ['```mermaid', `flowchart ${direction}`, ...body.map((l) => `  ${l}`), '```'].join('\n');
}

/** Extracts the body of every ```mermaid block of a Markdown document. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}
