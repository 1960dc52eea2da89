import { createHash } from 'node:crypto';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { type IConstruct } from 'constructs';

/*
 * Stateful logical ids are a contract: a changed id makes CloudFormation replace the resource
 * (a new database, table, user pool, key, queue...) for everyone who deployed the previous version.
 * The stacks were split into named constructs after their resources had been deployed at the
 * stack's top level. A construct marked with keepParentLogicalIds() is left out of its children's
 * logical ids, as CDK leaves out a construct with the id `Default`, so its resources keep the ids
 * they had before it existed. test/stacks/logical-ids.test.ts compares them with a baseline.
 */

const transparent = new WeakSet<IConstruct>();

/** Leaves `group` out of the logical ids of the resources under it (see above). */
export function keepParentLogicalIds(group: IConstruct): void {
  transparent.add(group);
}

/**
 * The logical id CDK gives `element` (Stack.allocateLogicalId), computed without the constructs
 * marked by keepParentLogicalIds; undefined when no such construct is on its path.
 */
export function logicalIdWithoutGroups(element: CfnElement): string | undefined {
  const scopes = element.node.scopes;
  const below = scopes.slice(scopes.indexOf(Stack.of(element)) + 1);
  if (!below.some((scope) => transparent.has(scope))) return undefined;
  return uniqueId(below.filter((scope) => !transparent.has(scope)).map((scope) => scope.node.id));
}

/**
 * CDK's logical-id scheme (`makeUniqueId` in aws-cdk-lib core, not exported): the path's
 * alphanumeric parts, without `Default`, `Resource` and repeats, plus 8 hex digits of the MD5 of
 * the path. CDK cannot change it without replacing every resource it ever deployed.
 */
function uniqueId(pathComponents: readonly string[]): string {
  const components = pathComponents.filter((id) => id !== 'Default');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (components.length === 1) return alphanumeric(components[0] ?? '');
  const hash = createHash('md5').update(components.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const id of components) {
    if (human.length === 0 || !(human[human.length - 1] ?? '').endsWith(id)) human.push(id);
  }
  return (
    human
      .filter((id) => id !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + hash
  );
}

/**
 * What `Names.nodeUniqueId(construct.node)` gives, without the constructs marked by
 * keepParentLogicalIds: for the construct ids CDK builds from another construct's unique id (a
 * LambdaSubscription names its invoke permission `AllowInvoke:<topic's unique id>`).
 */
export function nodeUniqueIdWithoutGroups(construct: IConstruct): string {
  const below = construct.node.scopes.slice(1).filter((scope) => !transparent.has(scope));
  return uniqueId(below.map((scope) => scope.node.id));
}
