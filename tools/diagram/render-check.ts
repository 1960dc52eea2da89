/**
 * `npm run diagram:check [-- --file docs/architecture.md] [--png <dir>] [--chromium <path>]`:
 * renders every Mermaid block of the document with the `mermaid` package in headless Chromium, in a
 * column as wide as GitHub's, and fails when a diagram is wider than the column (GitHub then scales
 * it down) or its smallest text, so scaled, is under the legible minimum. Prints each diagram's size;
 * --png also saves what the column shows. Not part of `npm test`: it needs a browser (on Debian,
 * `apt-get install chromium`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';
import { mermaidBlocks } from './mermaid';

/** GitHub's Markdown column on a repository page, in CSS px. */
export const COLUMN_WIDTH = 980;
/** Below this, text at the column's scale is hard to read. */
export const MIN_TEXT_PX = 11;

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const MERMAID_BUNDLE = path.join(PROJECT_ROOT, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');
const PAGE_SCRIPT = path.join(__dirname, 'render-page.js');
const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

export interface DiagramMeasure {
  readonly width: number;
  readonly height: number;
  readonly shownWidth: number;
  readonly shownHeight: number;
  readonly smallestTextPx: number;
  readonly smallestText: string;
}

/** Why a measured diagram is not legible in the column; empty when it is. */
export function legibilityProblems(m: DiagramMeasure): string[] {
  return [
    ...(m.width > COLUMN_WIDTH ? [`${Math.round(m.width)} px wide, the column is ${COLUMN_WIDTH} px`] : []),
    ...(m.smallestTextPx < MIN_TEXT_PX
      ? [`text renders at ${m.smallestTextPx.toFixed(1)} px (< ${MIN_TEXT_PX}): "${m.smallestText}"`]
      : []),
  ];
}

function findChromium(explicit: string | undefined): string {
  const found = explicit ?? CHROMIUM_CANDIDATES.find((c) => fs.existsSync(c));
  if (!found || !fs.existsSync(found)) {
    throw new Error('No Chromium found: install it (apt-get install chromium) or pass --chromium <path>');
  }
  return found;
}

/** Renders and measures each diagram in one browser page; saves `diagram-<n>.png` to pngDir if given. */
export async function measureDiagrams(
  diagrams: readonly string[],
  options: { chromium?: string; pngDir?: string } = {}
): Promise<DiagramMeasure[]> {
  const browser = await puppeteer.launch({
    executablePath: findChromium(options.chromium),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: COLUMN_WIDTH + 40, height: 800 });
    await page.setContent('<!doctype html><html><body style="margin:0;background:white"></body></html>');
    await page.addScriptTag({ path: MERMAID_BUNDLE });
    await page.addScriptTag({ path: PAGE_SCRIPT });
    await page.evaluate("mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' })");
    const measures: DiagramMeasure[] = [];
    for (const [i, source] of diagrams.entries()) {
      const call = `measureDiagram(${JSON.stringify(source)}, ${i + 1}, ${COLUMN_WIDTH})`;
      measures.push((await page.evaluate(call)) as DiagramMeasure);
      if (options.pngDir) {
        fs.mkdirSync(options.pngDir, { recursive: true });
        const host = await page.$(`#diagram-${i + 1}`);
        await host?.screenshot({ path: path.join(options.pngDir, `diagram-${i + 1}.png`) });
      }
    }
    return measures;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string', default: path.join(PROJECT_ROOT, 'docs', 'architecture.md') },
      png: { type: 'string' },
      chromium: { type: 'string' },
    },
  });
  const file = path.resolve(values.file);
  const diagrams = mermaidBlocks(fs.readFileSync(file, 'utf8'));
  if (diagrams.length === 0) {
    process.stderr.write(`No Mermaid blocks in ${file}\n`);
    return 1;
  }
  const measures = await measureDiagrams(diagrams, {
    ...(values.chromium ? { chromium: values.chromium } : {}),
    ...(values.png ? { pngDir: path.resolve(values.png) } : {}),
  });
  let failed = 0;
  measures.forEach((m, i) => {
    const problems = legibilityProblems(m);
    if (problems.length > 0) failed++;
    const title = diagrams[i]?.split('\n')[0] ?? '';
    process.stdout.write(
      `diagram ${i + 1} (${title}): ${Math.round(m.width)} × ${Math.round(m.height)} px, ` +
        `smallest text ${m.smallestTextPx.toFixed(1)} px at ${COLUMN_WIDTH} px` +
        `${problems.length > 0 ? `  FAIL: ${problems.join('; ')}` : '  ok'}\n`
    );
  });
  if (failed > 0) {
    process.stderr.write(
      `${failed} of ${measures.length} diagrams of ${path.relative(process.cwd(), file)} are not legible ` +
        `at ${COLUMN_WIDTH} px\n`
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
);
