import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * The layout is the architecture: bin -> lib/pipeline -> stages -> lib/stacks -> lib/constructs
 * -> lib/config, and functions/ (the Lambda code) depends on nothing above it. Developer tooling
 * (tools/) is never imported by the deploy path and imports nothing from test/.
 */

const ROOT = path.join(__dirname, '..', '..');

/** What each layer may import besides itself and npm packages, in the order the app is built. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  bin: ['lib/pipeline', 'lib/compliance', 'lib/config'],
  'lib/compliance': ['lib/config'],
  'lib/pipeline': ['stages', 'lib/constructs', 'lib/config', 'functions/shared'],
  stages: ['lib/stacks', 'lib/config'],
  'lib/stacks': ['lib/constructs', 'lib/api', 'lib/config', 'functions/shared'],
  'lib/constructs': ['lib/api', 'lib/config', 'functions/shared'],
  'lib/api': ['lib/config'],
  'lib/config': ['functions/shared'],
  functions: [],
  canaries: [],
  tools: ['bin', 'lib', 'stages', 'functions', 'canaries', 'tools', 'jest.config.js'],
};
const LAYERS = Object.keys(ALLOWED).sort((a, b) => b.length - a.length);
/** Product source, what `cdk deploy` ships or builds from. */
const PRODUCT = ['bin', 'lib', 'stages', 'functions', 'canaries'];
const MAX_PRODUCT_LINES = 300;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(relative);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [relative] : [];
  });
}

function layerOf(file: string): string | undefined {
  return LAYERS.find((layer) => file === layer || file.startsWith(`${layer}/`));
}

/** Repository-relative targets of the file's relative imports (`import`, `export from`, `require`, `import()`). */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g)].map(
    (match) => match[1]!
  );
  return specifiers.map((specifier) => path.normalize(path.join(path.dirname(file), specifier)));
}

const files = [...PRODUCT, 'tools'].flatMap(sourceFiles);

describe('import layers', () => {
  test('every source file belongs to a layer', () => {
    expect(files.filter((file) => !layerOf(file))).toEqual([]);
    expect(files.length).toBeGreaterThan(50);
  });

  test.each(Object.keys(ALLOWED))('%s imports only the layers below it', (layer) => {
    const violations = files
      .filter((file) => layerOf(file) === layer)
      .flatMap((file) =>
        relativeImports(file)
          .filter((target) => {
            const targetLayer = layerOf(target) ?? target;
            if (targetLayer === layer) return false;
            return !ALLOWED[layer]!.some((allowed) => target === allowed || target.startsWith(`${allowed}/`));
          })
          .map((target) => `${file} -> ${target}`)
      );
    expect(violations).toEqual([]);
  });

  test('stacks do not import each other (only their common base class)', () => {
    const violations = files
      .filter((file) => layerOf(file) === 'lib/stacks')
      .flatMap((file) =>
        relativeImports(file)
          .filter((target) => target.startsWith('lib/stacks/') && !target.endsWith('environment-stack'))
          .map((target) => `${file} -> ${target}`)
      );
    expect(violations).toEqual([]);
  });

  test('the layer rules catch a wrong import (a construct importing a stack)', () => {
    const target = path.normalize(path.join('lib/constructs', '../stacks/monitoring-stack'));
    expect(layerOf(target)).toBe('lib/stacks');
    expect(ALLOWED['lib/constructs']!.some((allowed) => target.startsWith(`${allowed}/`))).toBe(false);
  });
});

describe('product source files', () => {
  test.each(files.filter((file) => PRODUCT.includes(file.split('/')[0]!)))(
    `%s has at most ${MAX_PRODUCT_LINES} lines`,
    (file) => {
      const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').length - 1;
      expect(lines).toBeLessThanOrEqual(MAX_PRODUCT_LINES);
    }
  );

  test.each(
    files.filter((file) => /^(lib|stages)\//.test(file) && !file.startsWith('lib/pipeline/scripts/'))
  )('%s reads no process.env (configuration comes from cdk.json through lib/config)', (file) => {
    expect(fs.readFileSync(path.join(ROOT, file), 'utf8')).not.toMatch(/process\.env/);
  });
});
