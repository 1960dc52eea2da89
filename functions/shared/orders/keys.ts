import { createHash } from 'node:crypto';

/** Key layout of orders and idempotency records; see ../README.md. */
export const orderKeys = {
  pk: (orderId: string) => `ORDER#${orderId}`,
  sk: 'ORDER',
  /** A user's orders share a GSI1 partition, sorted by creation time: "my orders, newest first". */
  gsi1pk: (userId: string) => `USER#${userId}`,
  gsi1sk: (createdAt: string, orderId: string) => `ORDER#${createdAt}#${orderId}`,
} as const;

export const idempotencyKeys = {
  /** Scoped to the user, so one client's key can never replay another user's order. */
  pk: (userId: string, key: string) => `IDEMPOTENCY#${userId}#${hashIdempotencyKey(key)}`,
  sk: 'IDEMPOTENCY',
} as const;

/** Hashed so any header value yields a short key of a fixed alphabet. */
function hashIdempotencyKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
