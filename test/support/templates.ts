import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentName } from '../../lib/config';
import { testAssemblyDir } from './test-assembly';

/** The stacks of an AppStage (stages/app-stage.ts), by construct id. */
export type StageStackId = 'Networking' | 'Database' | 'ServerlessApi' | 'Monitoring';

interface ManifestArtifact {
  readonly type: string;
  readonly displayName?: string;
  readonly properties?: {
    readonly directoryName?: string;
    readonly displayName?: string;
    readonly templateFile?: string;
    readonly terminationProtection?: boolean;
  };
}

export interface Manifest {
  readonly artifacts?: Record<string, ManifestArtifact>;
  readonly missing?: unknown[];
}

function readManifest(dir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

interface StageAssembly {
  readonly dir: string;
  readonly manifest: Manifest;
}

/** The nested assembly of an environment's stage in this run's stage app. */
function stageAssembly(env: EnvironmentName): StageAssembly {
  const root = testAssemblyDir('stages');
  const stage = Object.values(readManifest(root).artifacts ?? {}).find(
    (a) => a.type === 'cdk:cloud-assembly' && a.properties?.displayName === env
  );
  const directoryName = stage?.properties?.directoryName;
  if (!directoryName) throw new Error(`no assembly of stage ${env} in ${root}`);
  const dir = path.join(root, directoryName);
  return { dir, manifest: readManifest(dir) };
}

/**
 * The cloud assembly manifest of an environment's stage (`missing` lists context lookups), as
 * `stage.synth().manifest` gives it.
 */
export function stageManifest(env: EnvironmentName): Manifest {
  return stageAssembly(env).manifest;
}

export interface StageStack {
  /** The stack's construct id in the stage: `Networking`, ... */
  readonly id: string;
  readonly template: Template;
  readonly terminationProtection: boolean;
}

const cache = new Map<EnvironmentName, StageStack[]>();

/**
 * Every stack of an environment's AppStage (stages/app-stage.ts), whatever stacks it gains, with
 * its template, from the stage app the jest global setup synthesized for this run: bundling and
 * validation off, as app.ts synthAllStages builds it. A test file that only reads templates does
 * not build the app again. Tests that need the constructs themselves (logical ids of construct
 * objects, Annotations, cdk-nag, an app with other context) still build their own.
 */
export function stageStacks(env: EnvironmentName): StageStack[] {
  let stacks = cache.get(env);
  if (!stacks) {
    const { dir, manifest } = stageAssembly(env);
    stacks = Object.values(manifest.artifacts ?? {})
      .filter((a) => a.type === 'aws:cloudformation:stack')
      .map((a) => {
        const file = a.properties?.templateFile;
        if (!a.displayName?.startsWith(`${env}/`) || !file) {
          throw new Error(`unexpected stack artifact in ${dir}: ${JSON.stringify(a)}`);
        }
        let template: Template | undefined;
        return {
          id: a.displayName.slice(env.length + 1),
          // Parsed when first asked for: a file may read one stack of the stage.
          get template(): Template {
            template ??= Template.fromJSON(
              JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>
            );
            return template;
          },
          terminationProtection: a.properties?.terminationProtection ?? false,
        };
      });
    cache.set(env, stacks);
  }
  return stacks;
}

/** The template of one stack of an environment's AppStage: see {@link stageStacks}. */
export function stageTemplate(env: EnvironmentName, stack: StageStackId): Template {
  const found = stageStacks(env).find((s) => s.id === stack);
  if (!found) throw new Error(`no stack ${env}/${stack} in this run's stage assembly`);
  return found.template;
}
