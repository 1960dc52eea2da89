import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { formatDifferences, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { blockingChanges, describeDestructiveChange, type StackReview } from './engine';

/** `cdk diff`'s rendering of one stack (IAM and security-group tables first), without colours. */
function formatDiff(review: StackReview): string {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  formatDifferences(sink, review.diff);
  return stripVTControlCharacters(chunks.join('')).trimEnd();
}

/** `3 added, 2 modified (1 replaced), 1 removed`, or what the stack's state is. */
export function summarize(review: StackReview): string {
  const { comparison, diff } = review;
  let added = 0;
  let modified = 0;
  let replaced = 0;
  let removed = 0;
  diff.resources.forEachDifference((_id, resource) => {
    if (resource.isAddition) added++;
    else if (resource.isRemoval) removed++;
    else if (resource.isDifferent) {
      modified++;
      if ([ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE].includes(resource.changeImpact))
        replaced++;
    }
  });
  if (!comparison.before)
    return `first deployment: the stack does not exist yet; ${added} resources to create`;
  if (!comparison.after) return `the stack is no longer in the assembly: its ${removed} resources would go`;
  if (diff.isEmpty) return 'no changes';
  const security = [
    diff.iamChanges.hasChanges ? 'IAM changes' : '',
    diff.securityGroupChanges.hasChanges ? 'security-group changes' : '',
  ].filter(Boolean);
  return (
    `${added} added, ${modified} modified (${replaced} replaced), ${removed} removed` +
    (security.length > 0 ? `; ${security.join(' and ')} (shown first below)` : '')
  );
}

export interface ReportHeader {
  /** What was compared with what: `deployed templates of prod` or two assembly paths. */
  readonly title: string;
  /** Lines under the title: commit, account, time. */
  readonly details?: readonly string[];
}

/**
 * The change report: a verdict, each destructive change (blocking or allowed, with the allowance's
 * reason), then per stack a summary and `cdk diff`'s rendering. Plain text inside Markdown fences,
 * so it reads the same in a terminal, a build log and a file.
 */
export function renderReport(header: ReportHeader, reviews: readonly StackReview[]): string {
  const blocking = blockingChanges(reviews);
  const allowed = reviews.flatMap((review) => review.destructiveChanges.filter((change) => change.allowedBy));
  const lines = [`# Change review: ${header.title}`, '', ...(header.details ?? []).map((d) => `- ${d}`)];
  if (header.details?.length) lines.push('');
  lines.push(
    blocking.length > 0
      ? `**BLOCKED**: ${blocking.length} stateful resource(s) would be replaced or removed:`
      : '**No destructive change** to a stateful resource.'
  );
  lines.push(...blocking.map((change) => `- ${describeDestructiveChange(change)}`));
  if (allowed.length > 0) {
    lines.push('', 'Allowed by the destructive-change allow-list (lib/config/change-guard.ts):');
    lines.push(
      ...allowed.map(
        (change) => `- allowed: ${describeDestructiveChange(change)} (reason: ${change.allowedBy?.reason})`
      )
    );
  }
  for (const review of reviews) {
    lines.push('', `## ${review.comparison.stackName} (${review.comparison.displayName})`, '');
    lines.push(summarize(review));
    if (!review.diff.isEmpty) lines.push('', '```', formatDiff(review), '```');
  }
  return `${lines.join('\n')}\n`;
}
