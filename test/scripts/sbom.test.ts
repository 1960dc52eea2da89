import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type CycloneDxBom,
  DEVELOPMENT_PROPERTY,
  asBom,
  generateSbom,
  productionBom,
} from '../../scripts/sbom';

/** The SBOM build artifact: the production dependencies of package-lock.json, nothing dev-only. */
const ROOT = path.join(__dirname, '..', '..');
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;

const dev = [{ name: DEVELOPMENT_PROPERTY, value: 'true' }];
const sample: CycloneDxBom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  metadata: { component: { 'bom-ref': 'app@1.0.0' } },
  components: [
    { 'bom-ref': 'lib@1.0.0', name: 'lib', version: '1.0.0', properties: [] },
    { 'bom-ref': 'shared@2.0.0', name: 'shared', version: '2.0.0' },
    { 'bom-ref': 'jest@30.0.0', name: 'jest', version: '30.0.0', properties: dev },
  ],
  dependencies: [
    { ref: 'app@1.0.0', dependsOn: ['lib@1.0.0', 'jest@30.0.0'] },
    { ref: 'lib@1.0.0', dependsOn: ['shared@2.0.0'] },
    { ref: 'jest@30.0.0', dependsOn: ['shared@2.0.0'] },
  ],
};

test('drops dev-only components and their edges, keeps what production reaches', () => {
  const bom = productionBom(sample);
  expect(bom.components.map((c) => c.name)).toEqual(['lib', 'shared']);
  expect(bom.dependencies).toEqual([
    { ref: 'app@1.0.0', dependsOn: ['lib@1.0.0'] },
    { ref: 'lib@1.0.0', dependsOn: ['shared@2.0.0'] },
  ]);
  expect(bom.metadata).toEqual(sample.metadata);
});

test('rejects output that is not a CycloneDX BOM', () => {
  expect(() => asBom({ spdxVersion: 'SPDX-2.3' })).toThrow(/not a CycloneDX SBOM/);
});

describe("the repository's SBOM (npm sbom on package-lock.json, offline)", () => {
  interface LockPackage {
    version?: string;
    dev?: boolean;
  }
  const lock = readJson<{ packages: Record<string, LockPackage> }>('package-lock.json');
  const pkg = readJson<{ dependencies: Record<string, string>; devDependencies: Record<string, string> }>(
    'package.json'
  );
  const bom = generateSbom();
  const components = new Set(bom.components.map((c) => `${c.name}@${c.version}`));

  test('lists every production dependency at its locked version, those dev tools share too', () => {
    const missing = Object.keys(pkg.dependencies)
      .map((name) => `${name}@${lock.packages[`node_modules/${name}`]?.version}`)
      .filter((c) => !components.has(c));
    expect(missing).toEqual([]);
    // The packages `npm sbom --omit dev` loses (npm/cli#7909).
    expect(components).toContain(`aws-cdk-lib@${lock.packages['node_modules/aws-cdk-lib']!.version}`);
  });

  test('holds no dev-only package', () => {
    const devOnly = new Set(
      Object.entries(lock.packages)
        .filter(([, p]) => p.dev === true)
        .map(([key, p]) => `${key.replace(/^.*node_modules\//, '')}@${p.version}`)
    );
    const prodVersions = new Set(
      Object.entries(lock.packages)
        .filter(([key, p]) => key !== '' && p.dev !== true)
        .map(([key, p]) => `${key.replace(/^.*node_modules\//, '')}@${p.version}`)
    );
    expect([...components].filter((c) => devOnly.has(c) && !prodVersions.has(c))).toEqual([]);
    for (const tool of ['jest', 'eslint', 'secretlint', 'typescript']) {
      expect(pkg.devDependencies).toHaveProperty(tool);
      expect(bom.components.map((c) => c.name)).not.toContain(tool);
    }
  });
});
