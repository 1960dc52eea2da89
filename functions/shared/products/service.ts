import { randomUUID } from 'node:crypto';
import { type Caller, isAdmin } from '../caller';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  ValidationError,
} from '../errors';
import { isWellFormedId } from '../ids';
import { type Page, type PageRequest } from '../pagination';
import { parseWith } from '../validation';
import { MAX_STOCK, type Product, productInputSchema, productUpdateSchema, restockSchema } from './model';
import { type ProductRepository } from './repository';

/**
 * The catalogue: every signed-in caller may read it, only admins may change it. Bodies arrive
 * unvalidated and are checked after authorization (403 before 400).
 */
export class ProductService {
  constructor(
    private readonly products: ProductRepository,
    private readonly now: () => Date = () => new Date(),
    private readonly newId: () => string = randomUUID
  ) {}

  async create(caller: Caller, body: unknown): Promise<Product> {
    this.assertAdmin(caller);
    const input = parseWith(productInputSchema, body);
    const timestamp = this.now().toISOString();
    const product: Product = {
      productId: this.newId(),
      ...input,
      version: 1,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    if (!(await this.products.create(product))) {
      throw new ConflictError(`Product ${product.productId} already exists`);
    }
    return product;
  }

  async get(productId: string): Promise<Product> {
    const product = isWellFormedId(productId) ? await this.products.get(productId) : undefined;
    if (!product) throw this.notFound(productId);
    return product;
  }

  list(page: PageRequest): Promise<Page<Product>> {
    return this.products.list(page);
  }

  /**
   * Replaces name, price and description if the product is still at `expectedVersion` (the ETag the
   * admin's GET returned, sent as If-Match). Without it the edit is refused (428); on a stale
   * version it is refused (412) and nothing changes. Stock is not editable here: see `restock`.
   */
  async replace(
    caller: Caller,
    productId: string,
    body: unknown,
    expectedVersion: number | undefined
  ): Promise<Product> {
    this.assertAdmin(caller);
    if (typeof body === 'object' && body !== null && 'stock' in body) {
      throw new ValidationError(
        `stock: cannot be set by PUT; use POST /v1/products/${productId}/restock with a quantity to add`
      );
    }
    const input = parseWith(productUpdateSchema, body);
    if (expectedVersion === undefined) {
      throw new PreconditionRequiredError(
        "If-Match is required: send the product's ETag from GET /v1/products/{id} (* is not accepted)"
      );
    }
    const result = isWellFormedId(productId)
      ? await this.products.replace(productId, input, expectedVersion, this.now().toISOString())
      : { outcome: 'missing' as const };
    switch (result.outcome) {
      case 'replaced':
        return result.product;
      case 'missing':
        throw this.notFound(productId);
      case 'stale':
        throw new PreconditionFailedError(
          `Product ${productId} has changed since the version in If-Match (now version ${result.currentVersion}); ` +
            'read it again and reapply the edit',
          result.currentVersion
        );
    }
  }

  /** Adds units to the stock: a delta, so it never loses a concurrent sale or restock. */
  async restock(caller: Caller, productId: string, body: unknown): Promise<Product> {
    this.assertAdmin(caller);
    const { quantity } = parseWith(restockSchema, body);
    const result = isWellFormedId(productId)
      ? await this.products.restock(productId, quantity, this.now().toISOString())
      : { outcome: 'missing' as const };
    switch (result.outcome) {
      case 'restocked':
        return result.product;
      case 'missing':
        throw this.notFound(productId);
      case 'over_limit':
        throw new ConflictError(
          `Product ${productId} has ${result.stock} in stock; adding ${quantity} would exceed ${MAX_STOCK}`,
          'stock_limit_exceeded'
        );
    }
  }

  /** Placed orders keep their own copy of name and price, so deleting a product does not change them. */
  async delete(caller: Caller, productId: string): Promise<void> {
    this.assertAdmin(caller);
    if (!isWellFormedId(productId) || !(await this.products.delete(productId)))
      throw this.notFound(productId);
  }

  private assertAdmin(caller: Caller): void {
    if (!isAdmin(caller)) throw new ForbiddenError('Only administrators can change the catalogue');
  }

  private notFound(productId: string): NotFoundError {
    return new NotFoundError(`Product ${productId} not found`);
  }
}
