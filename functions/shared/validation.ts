import { type z } from 'zod';
import { ValidationError } from './errors';

/** `['items', 0, 'quantity']` → `items[0].quantity`, the way clients write the field. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, segment) => {
    if (typeof segment === 'number') return `${out}[${segment}]`;
    const name = String(segment);
    return out === '' ? name : `${out}.${name}`;
  }, '');
}

function describeIssue(issue: z.core.$ZodIssue, subject: string): string {
  // An unknown key is reported on its parent object; name the key itself instead.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => `${formatPath([...issue.path, key]) || subject}: unknown field`)
      .join('; ');
  }
  return `${formatPath(issue.path) || subject}: ${issue.message}`;
}

/**
 * Validates `input` against `schema`, returning the typed value or throwing a ValidationError
 * whose message names every offending field (`items[0].quantity: ...`).
 * `subject` names the whole value when an issue has no path (e.g. `body`).
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, subject = 'body'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(result.error.issues.map((issue) => describeIssue(issue, subject)).join('; '));
  }
  return result.data;
}
