import { randomUUID } from 'node:crypto';
import { type Caller, isAdmin } from '../caller';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { isWellFormedId } from '../ids';
import { type Page, type PageRequest } from '../pagination';
import { parseWith } from '../validation';
import { type Product, productInputSchema } from './model';
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

  async replace(caller: Caller, productId: string, body: unknown): Promise<Product> {
    this.assertAdmin(caller);
    const input = parseWith(productInputSchema, body);
    const product = isWellFormedId(productId)
      ? await this.products.replace(productId, input, this.now().toISOString())
      : undefined;
    if (!product) throw this.notFound(productId);
    return product;
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
