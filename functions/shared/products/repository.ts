import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../errors';
import { isConditionalCheckFailure, numbersOfConditionFailure } from '../dynamodb';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../pagination';
import { TABLE_SCHEMA } from '../table-schema';
import { MAX_STOCK, type Product, type ProductUpdate } from './model';

const { partitionKey: PK, sortKey: SK, gsi1 } = TABLE_SCHEMA;

/** Key layout of products, also used by the order transactions; see ../README.md. */
export const productKeys = {
  pk: (productId: string) => `PRODUCT#${productId}`,
  sk: 'PRODUCT',
  /** The whole catalogue in one GSI1 partition: a paginated list without a Scan. */
  gsi1pk: 'PRODUCTS',
  gsi1sk: (productId: string) => `PRODUCT#${productId}`,
} as const;

/** BatchGetItem calls per chunk of keys before unprocessed keys (throttling) fail the request. */
export const BATCH_GET_MAX_ATTEMPTS = 5;
/** Base of the jittered exponential back-off between BatchGetItem attempts. */
const BATCH_GET_BACKOFF_MS = 25;

export type ReplaceOutcome =
  | { readonly outcome: 'replaced'; readonly product: Product }
  | { readonly outcome: 'missing' }
  /** Someone wrote the product since the version the edit was based on; nothing was written. */
  | { readonly outcome: 'stale'; readonly currentVersion: number };

export type RestockOutcome =
  | { readonly outcome: 'restocked'; readonly product: Product }
  | { readonly outcome: 'missing' }
  /** The stock would exceed MAX_STOCK; nothing was written. */
  | { readonly outcome: 'over_limit'; readonly stock: number };

export function productKey(productId: string): Record<string, string> {
  return { [PK]: productKeys.pk(productId), [SK]: productKeys.sk };
}

export interface ProductRepository {
  /** Returns false, writing nothing, when the id is taken. */
  create(product: Product): Promise<boolean>;
  get(productId: string): Promise<Product | undefined>;
  /** Strongly consistent, so stock and price are current; unknown ids are simply absent. */
  getMany(productIds: readonly string[]): Promise<Map<string, Product>>;
  /**
   * Replaces the catalogue fields (never stock) if the product is still at `expectedVersion`,
   * advancing the version; writes nothing otherwise.
   */
  replace(
    productId: string,
    input: ProductUpdate,
    expectedVersion: number,
    updatedAt: string
  ): Promise<ReplaceOutcome>;
  /** Adds `quantity` to the stock (a delta: concurrent orders and restocks all count), advancing the version. */
  restock(productId: string, quantity: number, updatedAt: string): Promise<RestockOutcome>;
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
    version: stored.version ?? 0,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

function backOff(attempt: number): Promise<void> {
  const ceiling = BATCH_GET_BACKOFF_MS * 2 ** (attempt - 1);
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (Math.random() * ceiling) / 2));
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
      // Throttled keys come back as UnprocessedKeys: retried a bounded number of times with a
      // jittered exponential back-off, then the request fails rather than spinning to the timeout.
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > BATCH_GET_MAX_ATTEMPTS) {
          throw new DependencyUnavailableError(
            `The catalogue is busy: ${keys.length} product(s) could not be read after ` +
              `${BATCH_GET_MAX_ATTEMPTS} attempts; please retry`
          );
        }
        if (attempt > 1) await backOff(attempt);
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

  async replace(
    productId: string,
    input: ProductUpdate,
    expectedVersion: number,
    updatedAt: string
  ): Promise<ReplaceOutcome> {
    // PUT replaces the editable fields, so an omitted description is removed, not kept.
    const description =
      input.description === undefined ? ' REMOVE description' : ', description = :description';
    // Items written before versions existed have none: they are version 0.
    const versionIs = expectedVersion === 0 ? 'attribute_not_exists(version)' : 'version = :expected';
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: productKey(productId),
          // Stock is deliberately absent: it changes by deltas only (orders, cancels, restocks).
          UpdateExpression: `SET #name = :name, priceCents = :price, updatedAt = :now, version = :next${description}`,
          ConditionExpression: `attribute_exists(#pk) AND ${versionIs}`,
          ExpressionAttributeNames: { '#pk': PK, '#name': 'name' },
          ExpressionAttributeValues: {
            ':name': input.name,
            ':price': input.priceCents,
            ':now': updatedAt,
            ':next': expectedVersion + 1,
            ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
            ...(input.description === undefined ? {} : { ':description': input.description }),
          },
          ReturnValues: 'ALL_NEW',
          // Tells a missing product from a stale version without a second read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
      );
      return { outcome: 'replaced', product: toProduct(Attributes ?? {}) };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const current = numbersOfConditionFailure(error);
      return current === undefined
        ? { outcome: 'missing' }
        : { outcome: 'stale', currentVersion: current.version ?? 0 };
    }
  }

  async restock(productId: string, quantity: number, updatedAt: string): Promise<RestockOutcome> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: productKey(productId),
          // ADD, not SET: a delta on what is stored now, so no concurrent sale or restock is lost.
          UpdateExpression: 'SET updatedAt = :now ADD stock :quantity, version :one',
          // attribute_exists: ADD on a deleted product would create a stub item.
          ConditionExpression: 'attribute_exists(#pk) AND stock <= :room',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: {
            ':now': updatedAt,
            ':quantity': quantity,
            ':one': 1,
            ':room': MAX_STOCK - quantity,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
      );
      return { outcome: 'restocked', product: toProduct(Attributes ?? {}) };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const current = numbersOfConditionFailure(error);
      return current === undefined
        ? { outcome: 'missing' }
        : { outcome: 'over_limit', stock: current.stock ?? 0 };
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
