import { z } from 'zod';

/**
 * The message body the orders service puts on the order-events queue (its `OrderEvent` in
 * functions/shared/orders/events.ts). Only the fields this consumer reads are validated; zod strips the
 * rest, so the producer can add fields without turning every message into poison. Amounts are integer cents.
 */
export const OrderEventSchema = z.object({
  type: z.enum(['OrderPlaced', 'OrderCancelled']),
  /** Unique per event: the key for dropping SQS's occasional duplicate deliveries. */
  eventId: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  order: z.object({
    orderId: z.string().min(1),
    userId: z.string().min(1),
    totalCents: z.number().int().nonnegative(),
    items: z
      .array(
        z.object({
          productId: z.string().min(1),
          quantity: z.number().int().positive(),
          unitPriceCents: z.number().int().nonnegative(),
        })
      )
      .min(1),
  }),
});

export type OrderEvent = z.infer<typeof OrderEventSchema>;

/** The message body is not an order event. Redelivery cannot fix it, so it ends in the dead-letter queue. */
export class InvalidOrderEventError extends Error {
  override readonly name = 'InvalidOrderEventError';
}

/** @throws InvalidOrderEventError naming every offending field. */
export function parseOrderEvent(body: string): OrderEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidOrderEventError('message body is not JSON');
  }
  const parsed = OrderEventSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`
    );
    throw new InvalidOrderEventError(`message body is not an order event (${issues.join('; ')})`);
  }
  return parsed.data;
}
