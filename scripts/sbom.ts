/**
 * Writes the CycloneDX SBOM of the production dependencies to build-reports/sbom.cdx.json (a build
 * artifact of the synth step), from package-lock.json: what `npm ci` installs, whatever else sits in
 * node_modules.
 *
 * Not `npm sbom --omit dev`: that drops production packages which a dev dependency also reaches
 * (npm/cli#7909; here aws-cdk-lib, constructs, yaml and the DynamoDB client went missing). The full
 * SBOM marks each dev-only package with the property `cdx:npm:package:development`; those are removed
 * here, with their entries in the dependency graph.
 *
 *   npx tsx scripts/sbom.ts [--output <file>]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILD_REPORTS_DIR, SBOM_FILE } from '../lib/pipeline/build-reports';

const ROOT = path.join(__dirname, '..');
export const SBOM_OUTPUT_FILE = path.join(ROOT, BUILD_REPORTS_DIR, SBOM_FILE);
export const SBOM_COMMAND = ['npm', 'sbom', '--sbom-format', 'cyclonedx', '--package-lock-only'] as const;
export const DEVELOPMENT_PROPERTY = 'cdx:npm:package:development';
const SBOM_BUFFER_BYTES = 64 * 1024 * 1024;

export interface CycloneDxComponent {
  readonly 'bom-ref': string;
  readonly name: string;
  readonly version: string;
  readonly scope?: string;
  readonly purl?: string;
  readonly properties?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}
export interface CycloneDxBom {
  readonly bomFormat: 'CycloneDX';
  readonly specVersion: string;
  readonly components: readonly CycloneDxComponent[];
  readonly dependencies?: ReadonlyArray<{ readonly ref: string; readonly dependsOn?: readonly string[] }>;
  readonly [key: string]: unknown;
}

const isDevelopment = (c: CycloneDxComponent) =>
  c.properties?.some((p) => p.name === DEVELOPMENT_PROPERTY && p.value === 'true') ?? false;

/** Throws unless `value` is a CycloneDX BOM with a component list. */
export function asBom(value: unknown): CycloneDxBom {
  const bom = value as Partial<CycloneDxBom> | null;
  if (!bom || bom.bomFormat !== 'CycloneDX' || !Array.isArray(bom.components)) {
    throw new Error(`not a CycloneDX SBOM: ${JSON.stringify(value).slice(0, 200)}`);
  }
  return bom as CycloneDxBom;
}

/** The BOM without dev-only components; the dependency graph keeps only edges between what is left. */
export function productionBom(bom: CycloneDxBom): CycloneDxBom {
  const components = bom.components.filter((c) => !isDevelopment(c));
  const kept = new Set(components.map((c) => c['bom-ref']));
  const root = (bom.metadata as { component?: { 'bom-ref'?: string } } | undefined)?.component?.['bom-ref'];
  if (root !== undefined) kept.add(root);
  const dependencies = bom.dependencies
    ?.filter((d) => kept.has(d.ref))
    .map((d) => ({ ...d, dependsOn: d.dependsOn?.filter((ref) => kept.has(ref)) }));
  return { ...bom, components, ...(dependencies ? { dependencies } : {}) };
}

export function generateSbom(cwd: string = ROOT): CycloneDxBom {
  const [command, ...args] = SBOM_COMMAND;
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: SBOM_BUFFER_BYTES });
  if (result.error || result.status !== 0) {
    throw new Error(`${SBOM_COMMAND.join(' ')} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  return productionBom(asBom(JSON.parse(result.stdout)));
}

function main(argv: readonly string[]): void {
  const i = argv.indexOf('--output');
  const output = (i >= 0 ? argv[i + 1] : undefined) ?? SBOM_OUTPUT_FILE;
  const bom = generateSbom();
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.writeFileSync(output, `${JSON.stringify(bom, null, 2)}\n`);
  console.log(
    `SBOM: ${bom.components.length} production components (CycloneDX ${bom.specVersion}) → ` +
      path.relative(process.cwd(), output)
  );
}

if (require.main === module) main(process.argv.slice(2));
