import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  cdkJsonContext,
  ENVIRONMENT_NAMES,
  type EnvironmentConfig,
  type EnvironmentName,
  loadEnvironments,
} from '../../lib/config';
import { AppStage } from '../../stages/app-stage';

/**
 * Every CloudFormation element records where it was created, a stack trace that jest maps through
 * source maps: ~7 % of a template test's CPU. Only validation reports show them.
 */
export const NO_STACK_TRACES: Readonly<Record<string, true>> = {
  'aws:cdk:disable-creation-stack-traces': true,
  'aws:cdk:disable-stack-trace': true,
};

export interface TestAppOptions {
  /** Bundle Lambda code with esbuild. @default false (much faster; one test file keeps it on) */
  readonly bundling?: boolean;
  /**
   * Run CDK's built-in CloudFormation validation in `app.synth()`. @default false (it starts a
   * WASM engine, ~2 s per test file; test/compliance/cloudformation-validation.test.ts checks it)
   */
  readonly validation?: boolean;
  readonly context?: Record<string, unknown>;
  /** Where `app.synth()` writes the cloud assembly. @default - $CDK_OUTDIR, else a new temporary directory */
  readonly outdir?: string;
}

/** An App with cdk.json's context; bundling and CloudFormation validation off unless asked for. */
export function testApp(options: TestAppOptions = {}): App {
  return new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.validation ?? false,
    context: {
      ...cdkJsonContext(),
      ...NO_STACK_TRACES,
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

export interface SynthesizedStages {
  readonly app: App;
  readonly configs: Record<EnvironmentName, EnvironmentConfig>;
  readonly stages: Record<EnvironmentName, AppStage>;
}

/** One App holding the AppStage of every environment: build it once per test file. */
export function synthAllStages(options: TestAppOptions = {}): SynthesizedStages {
  const app = testApp(options);
  const configs = loadEnvironments(app.node);
  const stages = Object.fromEntries(
    ENVIRONMENT_NAMES.map((name) => [name, new AppStage(app, name, { config: configs[name] })])
  ) as Record<EnvironmentName, AppStage>;
  return { app, configs, stages };
}

/** Templates are cached per stack so each is synthesized once. */
const templates = new WeakMap<Stack, Template>();
export function templateOf(stack: Stack): Template {
  let template = templates.get(stack);
  if (!template) {
    template = Template.fromStack(stack);
    templates.set(stack, template);
  }
  return template;
}
