/**
 * The logical ids of the stateful resources (lib/config/stateful-resources.ts) of every stack in a
 * cloud assembly, nested stage assemblies included, by stack display name and resource type.
 *
 *   npx tsx tools/stateful-ids.ts <cdk.out> > test/stacks/stateful-logical-ids.json
 *
 * writes the baseline that test/stacks/logical-ids.test.ts compares today's templates with:
 * regenerate it only for a reviewed, intended replacement.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATEFUL_RESOURCE_TYPES } from '../lib/config/stateful-resources';

interface Artifact {
  readonly type: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly directoryName?: string };
}

export type StatefulIds = Record<string, Record<string, string[]>>;

export function statefulLogicalIds(assemblyDir: string): StatefulIds {
  const result: StatefulIds = {};
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, Artifact>;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const { templateFile, directoryName } = artifact.properties ?? {};
    if (artifact.type === 'cdk:cloud-assembly' && directoryName) {
      Object.assign(result, statefulLogicalIds(path.join(assemblyDir, directoryName)));
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !templateFile) continue;
    const template = JSON.parse(fs.readFileSync(path.join(assemblyDir, templateFile), 'utf8')) as {
      Resources?: Record<string, { Type: string }>;
    };
    const byType: Record<string, string[]> = {};
    for (const [logicalId, { Type }] of Object.entries(template.Resources ?? {})) {
      if (!(STATEFUL_RESOURCE_TYPES as readonly string[]).includes(Type)) continue;
      (byType[Type] ??= []).push(logicalId);
    }
    result[artifact.displayName ?? id] = Object.fromEntries(
      Object.entries(byType)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, ids]) => [type, ids.sort()])
    );
  }
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => a.localeCompare(b)));
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: tsx tools/stateful-ids.ts <cloud assembly directory>');
  process.stdout.write(`${JSON.stringify(statefulLogicalIds(dir), null, 2)}\n`);
}
