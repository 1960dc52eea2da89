import { z } from 'zod';

/** Upper bounds keep totals far inside Number.MAX_SAFE_INTEGER: 25 lines × 1000 × 10^8 cents. */
export const MAX_PRICE_CENTS = 100_000_000;
export const MAX_STOCK = 1_000_000;

/** Create and full replace (PUT) take the same body. Money is integer cents: no float rounding. */
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

export interface Product {
  readonly productId: string;
  readonly name: string;
  readonly description?: string;
  readonly priceCents: number;
  readonly stock: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}
