import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { BUNDLING_STACKS, VALIDATE_AGAINST_DEFAULT_RULES } from 'aws-cdk-lib/cx-api';
import { cdkJsonContext, contextSource, loadEnvironments, loadPipelineConfig } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline/pipeline-stack';
import { type ArchitectureInput, renderArchitecture } from './document';
import { type AssemblyModel, type StackArtifact, parseManifest, parseTemplate } from './model';

/** The project root (this file is tools/diagram/io.ts). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const ARCHITECTURE_DOC = path.join(PROJECT_ROOT, 'docs', 'architecture.md');
const MERMAID_CHECKER = path.join(__dirname, 'parse-mermaid.mjs');

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

/**
 * Synthesizes the app as bin/app.ts wires it, into a new temporary directory. Fast: no Lambda
 * bundling (placeholders: the diagrams don't read code); no cdk-nag gate and no built-in
 * CloudFormation validation (both decide whether synth passes, not what it produces; the rules cost
 * ~7 s here, and with the rules off the validation engine still started: ~4 s more).
 * Returns the assembly directory.
 */
export function synthesizeAssembly(context = cdkJsonContext()): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diagram-cdk-out-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { ...context, [BUNDLING_STACKS]: [], [VALIDATE_AGAINST_DEFAULT_RULES]: false },
  });
  new PipelineStack(app, 'PipelineStack', {
    pipelineConfig: loadPipelineConfig(app.node),
    environments: loadEnvironments(app.node),
  });
  return app.synth().directory;
}

function readStacks(directory: string, stage: string | undefined): StackArtifact[] {
  return parseManifest(readJson(path.join(directory, 'manifest.json'))).flatMap(
    (artifact): StackArtifact[] => {
      if (artifact.kind === 'assembly') {
        return readStacks(path.join(directory, artifact.directoryName), artifact.displayName);
      }
      return [
        {
          artifactId: artifact.artifactId,
          displayName: artifact.displayName,
          stackName: artifact.stackName,
          environment: artifact.environment,
          dependencies: artifact.dependencies,
          ...(stage ? { stage } : {}),
          template: parseTemplate(readJson(path.join(directory, artifact.templateFile))),
        },
      ];
    }
  );
}

/** Reads a cloud assembly directory (`cdk.out`), nested stage assemblies included. */
export function readAssembly(directory: string): AssemblyModel {
  if (!fs.existsSync(path.join(directory, 'manifest.json'))) {
    throw new Error(`${directory} is not a cloud assembly (no manifest.json): run npx cdk synth first`);
  }
  return { stacks: readStacks(directory, undefined) };
}

export interface GenerateOptions {
  /** Read this cloud assembly instead of synthesizing one. */
  readonly cdkOut?: string;
  readonly context?: Record<string, unknown>;
}

/** The inputs of the document: the assembly (synthesized unless given) and the typed config. */
export function loadArchitectureInput(options: GenerateOptions = {}): ArchitectureInput {
  const context = options.context ?? cdkJsonContext();
  let model: AssemblyModel;
  if (options.cdkOut) {
    model = readAssembly(options.cdkOut);
  } else {
    const directory = synthesizeAssembly(context);
    try {
      model = readAssembly(directory);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  }
  const source = contextSource(context);
  return { model, environments: loadEnvironments(source), pipeline: loadPipelineConfig(source) };
}

export function generateArchitecture(options: GenerateOptions = {}): string {
  return renderArchitecture(loadArchitectureInput(options));
}

export interface MermaidCheck {
  readonly ok: boolean;
  readonly diagramType?: string;
  readonly error?: string;
}

/**
 * Parses each diagram with mermaid (ESM, needs a DOM for label sanitising) in one child Node
 * process under jsdom; jest and tsx stay CommonJS-friendly.
 */
export function checkMermaid(diagrams: readonly string[]): MermaidCheck[] {
  const output = execFileSync(process.execPath, [MERMAID_CHECKER], {
    input: JSON.stringify(diagrams),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const results = JSON.parse(output) as unknown;
  if (!Array.isArray(results) || results.length !== diagrams.length) {
    throw new Error(`Unexpected output of ${MERMAID_CHECKER}: ${output.slice(0, 500)}`);
  }
  return results as MermaidCheck[];
}
