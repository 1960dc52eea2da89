import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Call once per container, at module scope, so connections are reused across invocations.
 * Region, credentials and (locally) AWS_ENDPOINT_URL_DYNAMODB come from the environment.
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    // Optional attributes are left out of items rather than stored as NULL.
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Matched by name: the SDK's error classes are not guaranteed to be one copy across bundles. */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
