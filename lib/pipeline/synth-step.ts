import * as fs from 'node:fs';
import * as path from 'node:path';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { parse } from 'yaml';
import { BUILD_REPORTS_DIR } from './build-reports';

/** The top-level buildspec.yml: the one file a user edits to change the build. */
export const BUILDSPEC_FILE = path.join(__dirname, '..', '..', 'buildspec.yml');
/** Where `cdk synth` writes the cloud assembly the pipeline deploys. */
export const CLOUD_ASSEMBLY_DIR = 'cdk.out';
/**
 * Where buildspec.yml's post_build copies the nag reports (`validation-report.json`,
 * `nag-acknowledgements.json`) from the cloud assembly: the synth step's second output artifact.
 */
export const NAG_REPORTS_DIR = 'nag-reports';

/** What buildspec.yml becomes: the step's commands and the rest as a partial build spec. */
export interface ParsedBuildSpec {
  readonly installCommands: string[];
  readonly commands: string[];
  readonly partialBuildSpec: Record<string, unknown>;
}

function stringList(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new Error(`${BUILDSPEC_FILE}: ${key} must be a list of strings, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Splits buildspec.yml into the CodeBuildStep's install commands, commands and partial build
 * spec. CDK Pipelines generates the build spec and merges the partial one into it; commands in
 * both would run twice, so they are moved onto the step.
 */
export function parseBuildSpec(text: string = fs.readFileSync(BUILDSPEC_FILE, 'utf8')): ParsedBuildSpec {
  const spec = parse(text) as Record<string, unknown> | null;
  if (!spec || typeof spec !== 'object') throw new Error(`${BUILDSPEC_FILE}: not a YAML mapping`);
  const phases = (spec.phases ?? {}) as Record<string, Record<string, unknown>>;
  const installCommands = stringList(phases.install?.commands, 'phases.install.commands');
  const commands = stringList(phases.build?.commands, 'phases.build.commands');
  if (!commands.some((c) => /\bcdk synth\b/.test(c))) {
    throw new Error(
      `${BUILDSPEC_FILE}: phases.build.commands must run 'cdk synth', got ${JSON.stringify(commands)}`
    );
  }

  const restPhases: Record<string, Record<string, unknown>> = {};
  for (const [name, phase] of Object.entries(phases)) {
    const rest = Object.fromEntries(
      Object.entries(phase).filter(
        ([key]) => !(key === 'commands' && (name === 'install' || name === 'build'))
      )
    );
    if (Object.keys(rest).length > 0) restPhases[name] = rest;
  }
  const partialBuildSpec = Object.fromEntries(
    Object.entries({ ...spec, phases: restPhases }).filter(([key]) => key !== 'version')
  );
  return { installCommands, commands, partialBuildSpec };
}

export interface SynthStepProps {
  readonly input: pipelines.IFileSetProducer;
  readonly buildSpec?: ParsedBuildSpec;
}

/** The pipeline's Synth step, built from buildspec.yml. */
export function synthStep(props: SynthStepProps): pipelines.CodeBuildStep {
  const spec = props.buildSpec ?? parseBuildSpec();
  const step = new pipelines.CodeBuildStep('Synth', {
    input: props.input,
    installCommands: spec.installCommands,
    commands: spec.commands,
    partialBuildSpec: codebuild.BuildSpec.fromObject(spec.partialBuildSpec),
    primaryOutputDirectory: CLOUD_ASSEMBLY_DIR,
    // The npm cache paths are listed in buildspec.yml; a local cache keeps them between builds.
    cache: codebuild.Cache.local(codebuild.LocalCacheMode.CUSTOM),
    env: { CI: 'true' },
  });
  // A secondary artifact of the Build action (CodeBuild uploads it even when the build failed); the
  // reports also travel inside the cloud assembly, the primary artifact.
  step.addOutputDirectory(NAG_REPORTS_DIR);
  // The SBOM and the npm audit decision from `npm run verify`, published the same way.
  step.addOutputDirectory(BUILD_REPORTS_DIR);
  return step;
}
