import { z } from 'zod';
import { ID_PATTERN } from '../ids';

/**
 * One order is one DynamoDB transaction (order + idempotency record + one update per line), and a
 * transaction holds at most 100 actions; 25 lines leaves ample room and is plenty for a basket.
 */
export const MAX_ORDER_LINES = 25;
export const MAX_LINE_QUANTITY = 1000;

const orderLineInputSchema = z.strictObject({
  productId: z.string().regex(ID_PATTERN, 'must be a product id'),
  quantity: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_LINE_QUANTITY, `must be at most ${MAX_LINE_QUANTITY}`),
});

export const placeOrderSchema = z.strictObject({
  items: z
    .array(orderLineInputSchema)
    .min(1, 'must contain at least one item')
    .max(MAX_ORDER_LINES, `must contain at most ${MAX_ORDER_LINES} items`)
    // A transaction may not touch the same item twice, and two lines for one product are ambiguous.
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach(({ productId }, index) => {
        if (seen.has(productId)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'productId'],
            message: 'appears more than once; combine the quantities into one item',
          });
        }
        seen.add(productId);
      });
    }),
});

export type PlaceOrderInput = z.output<typeof placeOrderSchema>;

/**
 * Idempotency-Key header: an opaque client-chosen string (a UUID is typical). Visible ASCII only,
 * bounded so it cannot bloat the key it is stored under.
 */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, 'must be 1 to 255 visible ASCII characters');

export type OrderStatus = 'PLACED' | 'CANCELLED';

/** A line as ordered: name and price are copied so the order survives catalogue changes. */
export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
  readonly lineTotalCents: number;
}

export interface Order {
  readonly orderId: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderLine[];
  readonly totalCents: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly cancelledAt?: string;
}
