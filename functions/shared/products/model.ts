import { z } from 'zod';

/** Upper bounds keep totals far inside Number.MAX_SAFE_INTEGER: 25 lines × 1000 × 10^8 cents. */
export const MAX_PRICE_CENTS = 100_000_000;
export const MAX_STOCK = 1_000_000;

/** The body of a create. Money is integer cents: no float rounding. */
export const productInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  description: z.string().trim().max(2000, 'must be at most 2000 characters').optional(),
  priceCents: z
    .number()
    .int('must be a whole number of cents')
    .min(0, 'must not be negative')
    .max(MAX_PRICE_CENTS, `must be at most ${MAX_PRICE_CENTS}`),
  stock: z
    .number()
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(MAX_STOCK, `must be at most ${MAX_STOCK}`),
});

export type ProductInput = z.output<typeof productInputSchema>;

/**
 * The body of a replace (PUT): the catalogue fields only. Stock is not among them: it changes only
 * by deltas (orders, cancellations, restocks), so an edit can never overwrite a sale it did not see.
 */
export const productUpdateSchema = productInputSchema.omit({ stock: true });

export type ProductUpdate = z.output<typeof productUpdateSchema>;

/** The body of `POST /v1/products/{id}/restock`: units to add to the stock. */
export const restockSchema = z.strictObject({
  quantity: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_STOCK, `must be at most ${MAX_STOCK}`),
});

export interface Product {
  readonly productId: string;
  readonly name: string;
  readonly description?: string;
  readonly priceCents: number;
  readonly stock: number;
  /**
   * Advanced by every write to the product: edits, restocks, order placement and cancellation.
   * Its ETag; an edit applies only to the version it names (If-Match). 0 for items older than it.
   */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}
