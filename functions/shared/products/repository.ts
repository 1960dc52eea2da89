import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from '../dynamodb';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../pagination';
import { TABLE_SCHEMA } from '../table-schema';
import { type Product, type ProductInput } from './model';

const { partitionKey: PK, sortKey: SK, gsi1 } = TABLE_SCHEMA;

/** Key layout of products, also used by the order transactions; see ../README.md. */
export const productKeys = {
  pk: (productId: string) => `PRODUCT#${productId}`,
  sk: 'PRODUCT',
  /** The whole catalogue in one GSI1 partition: a paginated list without a Scan. */
  gsi1pk: 'PRODUCTS',
  gsi1sk: (productId: string) => `PRODUCT#${productId}`,
} as const;

export function productKey(productId: string): Record<string, string> {
  return { [PK]: productKeys.pk(productId), [SK]: productKeys.sk };
}

export interface ProductRepository {
  /** Returns false, writing nothing, when the id is taken. */
  create(product: Product): Promise<boolean>;
  get(productId: string): Promise<Product | undefined>;
  /** Strongly consistent, so stock and price are current; unknown ids are simply absent. */
  getMany(productIds: readonly string[]): Promise<Map<string, Product>>;
  /** Returns undefined, writing nothing, when there is no such product. */
  replace(productId: string, input: ProductInput, updatedAt: string): Promise<Product | undefined>;
  /** Returns false when there was no such product. */
  delete(productId: string): Promise<boolean>;
  list(page: PageRequest): Promise<Page<Product>>;
}

/** Copies the entity attributes only, so keys and bookkeeping never leak into responses. */
export function toProduct(item: Record<string, unknown>): Product {
  const stored = item as unknown as Product;
  return {
    productId: stored.productId,
    name: stored.name,
    description: stored.description,
    priceCents: stored.priceCents,
    stock: stored.stock,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

export class DynamoDbProductRepository implements ProductRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string
  ) {}

  async create(product: Product): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...productKey(product.productId),
            [gsi1.partitionKey]: productKeys.gsi1pk,
            [gsi1.sortKey]: productKeys.gsi1sk(product.productId),
            entityType: 'Product',
            ...product,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        })
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async get(productId: string): Promise<Product | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: productKey(productId) })
    );
    return Item ? toProduct(Item) : undefined;
  }

  async getMany(productIds: readonly string[]): Promise<Map<string, Product>> {
    const found = new Map<string, Product>();
    // BatchGetItem takes at most 100 keys per call.
    for (let start = 0; start < productIds.length; start += 100) {
      let keys: Record<string, unknown>[] = productIds.slice(start, start + 100).map(productKey);
      // Throttled keys come back as UnprocessedKeys; retry them with a short back-off.
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** Math.min(attempt, 5)));
        const { Responses, UnprocessedKeys } = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } })
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const product = toProduct(item);
          found.set(product.productId, product);
        }
        keys = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  async replace(productId: string, input: ProductInput, updatedAt: string): Promise<Product | undefined> {
    // PUT replaces the editable fields, so an omitted description is removed, not kept.
    const description =
      input.description === undefined ? ' REMOVE description' : ', description = :description';
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: productKey(productId),
          UpdateExpression: `SET #name = :name, priceCents = :price, stock = :stock, updatedAt = :now${description}`,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK, '#name': 'name' },
          ExpressionAttributeValues: {
            ':name': input.name,
            ':price': input.priceCents,
            ':stock': input.stock,
            ':now': updatedAt,
            ...(input.description === undefined ? {} : { ':description': input.description }),
          },
          ReturnValues: 'ALL_NEW',
        })
      );
      return Attributes ? toProduct(Attributes) : undefined;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  async delete(productId: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: productKey(productId),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        })
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async list({ limit, cursor }: PageRequest): Promise<Page<Product>> {
    const startKey =
      cursor === undefined
        ? undefined
        : decodeCursor(
            cursor,
            [PK, SK, gsi1.partitionKey, gsi1.sortKey],
            (key) =>
              key[gsi1.partitionKey] === productKeys.gsi1pk &&
              key[SK] === productKeys.sk &&
              key[PK]?.startsWith('PRODUCT#') === true &&
              key[gsi1.sortKey] === key[PK]
          );
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: gsi1.indexName,
        KeyConditionExpression: '#gsi1pk = :products',
        ExpressionAttributeNames: { '#gsi1pk': gsi1.partitionKey },
        ExpressionAttributeValues: { ':products': productKeys.gsi1pk },
        Limit: limit,
        ExclusiveStartKey: startKey,
      })
    );
    return { items: Items.map(toProduct), nextCursor: encodeCursor(LastEvaluatedKey) };
  }
}
