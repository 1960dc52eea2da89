/** How API Gateway applies a REQUEST authorizer's answer to a request, for the local gateway. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `*` any characters, `?` one, as in IAM resource patterns (greedy matching with backtracking). */
export function matchesPattern(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p += 1;
      v += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = v;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

export type AuthorizerDecision =
  | {
      readonly kind: 'allow';
      readonly principalId: string;
      readonly context: Record<string, string>;
      readonly usageIdentifierKey: string | undefined;
    }
  | { readonly kind: 'deny'; readonly explicit: boolean }
  /** Not a valid authorizer response: API Gateway answers 500. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** What API Gateway makes of the authorizer's answer for this method ARN. */
export function evaluateAuthorizerResult(result: unknown, arn: string): AuthorizerDecision {
  if (!isRecord(result) || typeof result.principalId !== 'string') {
    return { kind: 'invalid', reason: 'no principalId' };
  }
  const document = result.policyDocument;
  if (!isRecord(document) || !Array.isArray(document.Statement)) {
    return { kind: 'invalid', reason: 'no policyDocument.Statement' };
  }
  const list = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((v) => typeof v === 'string')
        : [];
  const applies = (statement: Record<string, unknown>): boolean =>
    list(statement.Action).some((action) => matchesPattern(action, 'execute-api:Invoke')) &&
    list(statement.Resource).some((resource) => matchesPattern(resource, arn));
  const statements = document.Statement.filter(isRecord);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return { kind: 'deny', explicit: true };
  if (!statements.some((s) => s.Effect === 'Allow' && applies(s))) return { kind: 'deny', explicit: false };

  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(isRecord(result.context) ? result.context : {})) {
    // Context values must be primitives; API Gateway hands them to the integration as strings.
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      return { kind: 'invalid', reason: `context.${key} is not a string, number or boolean` };
    }
    context[key] = String(value);
  }
  const key = result.usageIdentifierKey;
  return {
    kind: 'allow',
    principalId: result.principalId,
    context,
    usageIdentifierKey: typeof key === 'string' ? key : undefined,
  };
}
