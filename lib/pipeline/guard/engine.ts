import {
  fullDiff,
  ResourceImpact,
  type ResourceDifference,
  type TemplateDiff,
} from '@aws-cdk/cloudformation-diff';
import { type DestructiveChangeAllowance } from '../../config/change-guard';

/** A CloudFormation template as JSON: what a cloud assembly holds and GetTemplate returns. */
export type TemplateJson = Record<string, unknown>;

/** One stack to review: its template before (deployed, or the baseline assembly's) and after. */
export interface StackComparison {
  /** The environment the stack belongs to (its stage's id, lowercased), `''` outside a stage. */
  readonly stage: string;
  /** The stack's construct id in its stage (`Database`): what an allowance names. */
  readonly stack: string;
  /** The CloudFormation stack name: what findings name. */
  readonly stackName: string;
  /** The construct path, `PipelineStack/Prod/Database`: pairs stacks of two assemblies. */
  readonly displayName: string;
  /** `undefined`: the stack does not exist yet (first deployment). */
  readonly before: TemplateJson | undefined;
  /** `undefined`: the stack is no longer in the new assembly. */
  readonly after: TemplateJson | undefined;
}

/** A stateful resource the change would replace or remove. */
export interface DestructiveChange {
  readonly stackName: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly change: 'replaced' | 'removed';
  /** The property or reason: `KeySchema changed`, `it is no longer in the template`. */
  readonly because: string;
  /** The allow-list entry that lets it through, if any. */
  readonly allowedBy: DestructiveChangeAllowance | undefined;
}

export interface StackReview {
  readonly comparison: StackComparison;
  readonly diff: TemplateDiff;
  readonly destructiveChanges: readonly DestructiveChange[];
}

export interface GuardOptions {
  /** Resource types whose replacement or removal loses data (lib/config/stateful-resources.ts). */
  readonly statefulTypes: readonly string[];
  readonly allowList: readonly DestructiveChangeAllowance[];
}

const REPLACING_IMPACTS: readonly ResourceImpact[] = [
  ResourceImpact.WILL_REPLACE,
  ResourceImpact.MAY_REPLACE,
];

/** `KeySchema changed` or `AllocatedStorage changed (may replace, depending on the value)`. */
function replacementReason(resource: ResourceDifference): string | undefined {
  if (resource.resourceTypeChanged) {
    return `its type changed from ${resource.oldResourceType} to ${resource.newResourceType}`;
  }
  const reasons = Object.entries(resource.propertyUpdates)
    .filter(([, update]) => update.changeImpact && REPLACING_IMPACTS.includes(update.changeImpact))
    .map(([name, update]) =>
      update.changeImpact === ResourceImpact.MAY_REPLACE
        ? `${name} changed (may replace, depending on the value)`
        : `${name} changed`
    );
  if (reasons.length > 0) return reasons.join(', ');
  return REPLACING_IMPACTS.includes(resource.changeImpact) ? 'CloudFormation replaces it' : undefined;
}

/** Why a resource left the template: a logical id that moved is the usual cause. */
function removalReason(logicalId: string, type: string, diff: TemplateDiff): string {
  const added: string[] = [];
  diff.resources.forEachDifference((id, resource) => {
    if (resource.isAddition && resource.newResourceType === type) added.push(id);
  });
  const moved =
    added.length > 0
      ? ` (a ${type} was added as ${added.join(', ')}: a moved logical id or construct path replaces the ` +
        'resource and deletes the old one)'
      : '';
  return `${logicalId} is no longer in the template${moved}`;
}

function allowanceFor(
  comparison: StackComparison,
  logicalId: string,
  allowList: readonly DestructiveChangeAllowance[]
): DestructiveChangeAllowance | undefined {
  return allowList.find(
    (entry) =>
      entry.stage === comparison.stage && entry.stack === comparison.stack && entry.logicalId === logicalId
  );
}

/**
 * Compares one stack's templates with the engine of `cdk diff` (which knows, from the CloudFormation
 * resource specification, which property changes replace a resource) and names every stateful
 * resource the change would replace or remove.
 */
export function reviewStack(comparison: StackComparison, options: GuardOptions): StackReview {
  const diff = fullDiff(comparison.before ?? {}, comparison.after ?? {});
  const stateful = new Set(options.statefulTypes);
  const destructiveChanges: DestructiveChange[] = [];
  diff.resources.forEachDifference((logicalId, resource) => {
    const type = resource.oldResourceType;
    if (!type || !stateful.has(type)) return;
    let found: Pick<DestructiveChange, 'change' | 'because'> | undefined;
    if (resource.isRemoval) {
      found = {
        change: 'removed',
        because: comparison.after
          ? removalReason(logicalId, type, diff)
          : `the stack ${comparison.stackName} is no longer in the assembly`,
      };
    } else {
      const because = replacementReason(resource);
      if (because) found = { change: 'replaced', because };
    }
    if (!found) return;
    destructiveChanges.push({
      stackName: comparison.stackName,
      logicalId,
      resourceType: type,
      ...found,
      allowedBy: allowanceFor(comparison, logicalId, options.allowList),
    });
  });
  return { comparison, diff, destructiveChanges };
}

/** `<stack name>/<logical id> (<resource type>): <replaced|removed>, because <property or reason>` */
export function describeDestructiveChange(change: DestructiveChange): string {
  return (
    `${change.stackName}/${change.logicalId} (${change.resourceType}): ${change.change}, ` +
    `because ${change.because}`
  );
}

/** The changes that stop the deployment: destructive and not on the allow-list. */
export function blockingChanges(reviews: readonly StackReview[]): DestructiveChange[] {
  return reviews.flatMap((review) => review.destructiveChanges.filter((change) => !change.allowedBy));
}
