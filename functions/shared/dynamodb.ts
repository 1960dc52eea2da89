import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { boundedClientConfig, type BoundedClientConfig } from './aws-clients';

/**
 * Call once per container, at module scope, so connections are reused across invocations.
 * Region, credentials and (locally) AWS_ENDPOINT_URL_DYNAMODB come from the environment; time
 * bounds from aws-clients.ts (`bounds` overrides them, for tests of the bounds themselves).
 */
export function createDocumentClient(bounds: Partial<BoundedClientConfig> = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ ...boundedClientConfig(bounds) }), {
    // Optional attributes are left out of items rather than stored as NULL.
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Matched by name: the SDK's error classes are not guaranteed to be one copy across bundles. */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * What a failed condition saw, when the request asked for it with
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`: undefined when there was no item at all,
 * otherwise its number attributes. The document client does not unmarshall errors, so the item
 * arrives in DynamoDB's attribute-value form (`{ stock: { N: '3' } }`).
 */
export function numbersOfConditionFailure(error: unknown): Record<string, number> | undefined {
  if (!isConditionalCheckFailure(error)) return undefined;
  const item = (error as Error & { Item?: Record<string, { N?: string } | undefined> }).Item;
  if (item === undefined || item === null) return undefined;
  const numbers: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (value?.N !== undefined) numbers[name] = Number(value.N);
  }
  return numbers;
}
