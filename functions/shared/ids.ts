/**
 * Identifiers that end up inside DynamoDB keys (`USER#<id>`). Restricting them to this alphabet
 * keeps a client from smuggling the `#` separator into a key, and the length cap keeps keys far
 * below DynamoDB's size limits so an absurd id is a 4xx, never a ValidationException and a 500.
 * Cognito subs (UUIDs) and the UUIDs we generate all match.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function isWellFormedId(value: string): boolean {
  return ID_PATTERN.test(value);
}
