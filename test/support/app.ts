import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { cdkJsonContext } from '../../lib/config';

/**
 * Every CloudFormation element records where it was created, a stack trace that jest maps through
 * source maps, at a cost in every template test. Only validation reports show them.
 */
export const NO_STACK_TRACES: Readonly<Record<string, true>> = {
  'aws:cdk:disable-creation-stack-traces': true,
  'aws:cdk:disable-stack-trace': true,
};

export interface TestAppOptions {
  /** Bundle Lambda code with esbuild. @default false (the secrets scan, which reads the bundles, turns it on) */
  readonly bundling?: boolean;
  /**
   * Run CDK's built-in CloudFormation validation in `app.synth()`. @default false (it starts a
   * WASM engine in every test file; test/compliance/cloudformation-validation.test.ts checks it)
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

/**
 * The template of a stack a test built itself, synthesized once per stack. Stacks of the app read
 * the run's assembly instead (templates.ts).
 */
const templates = new WeakMap<Stack, Template>();
export function templateOf(stack: Stack): Template {
  let template = templates.get(stack);
  if (!template) {
    template = Template.fromStack(stack);
    templates.set(stack, template);
  }
  return template;
}
