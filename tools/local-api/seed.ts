import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Product } from '../../functions/shared/products/model';
import { DynamoDbProductRepository } from '../../functions/shared/products/repository';

/**
 * A small catalogue for a fresh local table, written through the same repository the products
 * function uses. Fixed ids, so the commands in docs/local-development.md work as written.
 */
export const SEED_PRODUCTS: readonly Omit<Product, 'version' | 'createdAt' | 'updatedAt'>[] = [
  {
    productId: '00000000-0000-4000-8000-000000000001',
    name: 'Espresso beans, 1 kg',
    description: 'Single-origin, medium roast',
    priceCents: 2490,
    stock: 40,
  },
  {
    productId: '00000000-0000-4000-8000-000000000002',
    name: 'Pour-over kettle',
    description: 'Gooseneck, 1 litre',
    priceCents: 4900,
    stock: 12,
  },
  {
    productId: '00000000-0000-4000-8000-000000000003',
    name: 'Paper filters (100)',
    priceCents: 650,
    stock: 200,
  },
];

/** Writes the seed products that are not there yet; returns how many it wrote. */
export async function seedProducts(db: DynamoDBDocumentClient, tableName: string): Promise<number> {
  const products = new DynamoDbProductRepository(db, tableName);
  const now = new Date().toISOString();
  const created = await Promise.all(
    SEED_PRODUCTS.map((product) =>
      products.create({ ...product, version: 1, createdAt: now, updatedAt: now })
    )
  );
  return created.filter(Boolean).length;
}
