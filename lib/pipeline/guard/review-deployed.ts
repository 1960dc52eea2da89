import { parse as parseYaml } from 'yaml';
import { type AssemblyStack } from './assembly';
import {
  blockingChanges,
  reviewStack,
  type GuardOptions,
  type StackReview,
  type TemplateJson,
} from './engine';
import { renderReport } from './report';

/**
 * CloudFormation GetTemplate's answer, as documented: `TemplateBody` (JSON or YAML text) and the
 * stages available. A stack that does not exist makes it throw a `ValidationError` whose message
 * says the stack "does not exist".
 */
export interface GetTemplateOutput {
  readonly TemplateBody?: string;
  readonly StagesAvailable?: readonly string[];
}
export type GetTemplate = (stackName: string) => Promise<GetTemplateOutput>;

/** The deployed template, or `undefined` when the stack does not exist yet (first deployment). */
export async function deployedTemplate(
  getTemplate: GetTemplate,
  stackName: string
): Promise<TemplateJson | undefined> {
  let body: string | undefined;
  try {
    body = (await getTemplate(stackName)).TemplateBody;
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      return undefined;
    }
    throw error;
  }
  // A stack in REVIEW_IN_PROGRESS (a change set never executed) has no template yet.
  if (!body || body.trim() === '') return undefined;
  const trimmed = body.trimStart();
  return (trimmed.startsWith('{') ? JSON.parse(body) : parseYaml(body)) as TemplateJson;
}

export interface DeployedReviewOptions extends GuardOptions {
  /** The environment whose stacks are compared: stacks of other stages are left out. */
  readonly stage: string;
  /** The stacks of the synthesized assembly (readAssemblyStacks). */
  readonly stacks: readonly AssemblyStack[];
  readonly getTemplate: GetTemplate;
  /** Lines under the report's title: the commit reviewed, the account. */
  readonly details: readonly string[];
}

export interface DeployedReview {
  readonly reviews: readonly StackReview[];
  readonly report: string;
  readonly blocked: boolean;
}

/** Compares every stack of the stage with the template deployed in its account. */
export async function reviewDeployed(options: DeployedReviewOptions): Promise<DeployedReview> {
  const stacks = options.stacks.filter((stack) => stack.stage === options.stage);
  if (stacks.length === 0) {
    throw new Error(`the assembly has no stack of the stage ${JSON.stringify(options.stage)}`);
  }
  const reviews: StackReview[] = [];
  for (const stack of stacks) {
    const before = await deployedTemplate(options.getTemplate, stack.stackName);
    reviews.push(reviewStack({ ...stack, before, after: stack.template }, options));
  }
  const report = renderReport(
    { title: `${options.stage}, the new templates against the deployed ones`, details: options.details },
    reviews
  );
  return { reviews, report, blocked: blockingChanges(reviews).length > 0 };
}
