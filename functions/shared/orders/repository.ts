import { type CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../pagination';
import { productKey } from '../products/repository';
import { TABLE_SCHEMA } from '../table-schema';
import { idempotencyKeys, orderKeys } from './keys';
import { type Order, type OrderLine, type OrderStatus } from './model';

export { idempotencyKeys, orderKeys } from './keys';

const { partitionKey: PK, sortKey: SK, gsi1 } = TABLE_SCHEMA;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface IdempotencyClaim {
  readonly key: string;
  /** Fingerprint of the request body, to tell a retry from a reuse of the key. */
  readonly requestHash: string;
  /** Epoch seconds; the table's TTL attribute, so records expire on their own. */
  readonly expiresAt: number;
}

export interface IdempotencyRecord {
  readonly orderId: string;
  readonly requestHash: string;
}

/**
 * What a transaction attempt came to. The repository only reads DynamoDB's cancellation reasons;
 * the service decides which outcomes are client errors and which are worth another attempt.
 */
export type PlaceOrderOutcome =
  | { readonly outcome: 'placed' }
  | { readonly outcome: 'insufficient_stock'; readonly productId: string }
  | { readonly outcome: 'product_missing'; readonly productId: string }
  | { readonly outcome: 'product_changed'; readonly productId: string }
  | { readonly outcome: 'idempotency_key_taken' }
  | { readonly outcome: 'contention' };

export type CancelOrderOutcome =
  | { readonly outcome: 'cancelled'; readonly order: Order }
  | { readonly outcome: 'not_placed'; readonly status: string }
  | { readonly outcome: 'product_missing' }
  | { readonly outcome: 'contention' };

export interface OrderRepository {
  /**
   * Writes the order, the idempotency record (if any) and every stock reservation in ONE
   * transaction: all of it happens or none of it does.
   */
  place(order: Order, idempotency?: IdempotencyClaim): Promise<PlaceOrderOutcome>;
  get(orderId: string): Promise<Order | undefined>;
  /** The user's orders, newest first. */
  listForUser(userId: string, page: PageRequest): Promise<Page<Order>>;
  /** Moves a PLACED order to CANCELLED and returns `restock` to stock, in one transaction. */
  cancel(order: Order, restock: readonly OrderLine[], cancelledAt: string): Promise<CancelOrderOutcome>;
  getIdempotencyRecord(userId: string, key: string): Promise<IdempotencyRecord | undefined>;
}

/** Codes DynamoDB gives when another transaction or throttling, not our data, stopped us. */
const TRANSIENT_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (error instanceof Error && error.name === 'TransactionCanceledException') {
    return (error as Error & { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
  }
  return undefined;
}

function toOrder(item: Record<string, unknown>): Order {
  const stored = item as unknown as Order;
  return {
    orderId: stored.orderId,
    userId: stored.userId,
    status: stored.status,
    items: stored.items,
    totalCents: stored.totalCents,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    cancelledAt: stored.cancelledAt,
  };
}

export class DynamoDbOrderRepository implements OrderRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string
  ) {}

  async place(order: Order, idempotency?: IdempotencyClaim): Promise<PlaceOrderOutcome> {
    const orderPut: TransactItem = {
      Put: {
        TableName: this.tableName,
        Item: {
          [PK]: orderKeys.pk(order.orderId),
          [SK]: orderKeys.sk,
          [gsi1.partitionKey]: orderKeys.gsi1pk(order.userId),
          [gsi1.sortKey]: orderKeys.gsi1sk(order.createdAt, order.orderId),
          entityType: 'Order',
          ...order,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    };
    const idempotencyPut: TransactItem[] = idempotency
      ? [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                [PK]: idempotencyKeys.pk(order.userId, idempotency.key),
                [SK]: idempotencyKeys.sk,
                entityType: 'IdempotencyRecord',
                orderId: order.orderId,
                requestHash: idempotency.requestHash,
                createdAt: order.createdAt,
                expiresAt: idempotency.expiresAt,
              },
              // A concurrent retry with the same key may commit first; then this whole attempt fails.
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': PK },
            },
          },
        ]
      : [];
    const reservations: TransactItem[] = order.items.map((line) => ({
      Update: {
        TableName: this.tableName,
        Key: productKey(line.productId),
        // The version advances too, so an admin's edit based on the stock before this sale is refused.
        UpdateExpression: 'SET stock = stock - :quantity ADD version :one',
        // The price check makes the order's copied price the one in force when stock was taken.
        ConditionExpression: 'attribute_exists(#pk) AND stock >= :quantity AND priceCents = :price',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':quantity': line.quantity, ':price': line.unitPriceCents, ':one': 1 },
        // Returns the product as it was, to say why the condition failed without another read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    }));

    try {
      await this.db.send(
        new TransactWriteCommand({ TransactItems: [orderPut, ...idempotencyPut, ...reservations] })
      );
      return { outcome: 'placed' };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (idempotency && reasons[1]?.Code === 'ConditionalCheckFailed')
        return { outcome: 'idempotency_key_taken' };
      const firstReservation = 1 + idempotencyPut.length;
      // Reported in the order's own line order, so the client hears about its first problem line.
      for (const [index, line] of order.items.entries()) {
        const reason = reasons[firstReservation + index];
        if (reason?.Code !== 'ConditionalCheckFailed') continue;
        const stock = reason.Item?.stock?.N;
        if (stock === undefined) return { outcome: 'product_missing', productId: line.productId };
        if (Number(stock) < line.quantity)
          return { outcome: 'insufficient_stock', productId: line.productId };
        return { outcome: 'product_changed', productId: line.productId };
      }
      // A random order id that already exists is as unlikely as it is harmless to retry with a new one.
      const orderIdTaken = reasons[0]?.Code === 'ConditionalCheckFailed';
      if (orderIdTaken || reasons.some((reason) => TRANSIENT_CODES.has(reason.Code ?? ''))) {
        return { outcome: 'contention' };
      }
      throw error;
    }
  }

  async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: orderKeys.pk(orderId), [SK]: orderKeys.sk },
        // Read-your-writes: a client fetching the order it just placed or cancelled must see it.
        ConsistentRead: true,
      })
    );
    return Item ? toOrder(Item) : undefined;
  }

  async listForUser(userId: string, { limit, cursor }: PageRequest): Promise<Page<Order>> {
    const partition = orderKeys.gsi1pk(userId);
    const startKey =
      cursor === undefined
        ? undefined
        : decodeCursor(cursor, [PK, SK, gsi1.partitionKey, gsi1.sortKey], (key) => {
            // Above all the partition must be the caller's own: no paging into someone else's orders.
            const orderId = key[PK]?.startsWith('ORDER#') ? key[PK].slice('ORDER#'.length) : '';
            return (
              key[gsi1.partitionKey] === partition &&
              key[SK] === orderKeys.sk &&
              orderId !== '' &&
              key[gsi1.sortKey]?.startsWith('ORDER#') === true &&
              key[gsi1.sortKey]?.endsWith(`#${orderId}`) === true
            );
          });
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: gsi1.indexName,
        KeyConditionExpression: '#gsi1pk = :user AND begins_with(#gsi1sk, :order)',
        ExpressionAttributeNames: { '#gsi1pk': gsi1.partitionKey, '#gsi1sk': gsi1.sortKey },
        ExpressionAttributeValues: { ':user': partition, ':order': 'ORDER#' },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      })
    );
    return { items: Items.map(toOrder), nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  async cancel(
    order: Order,
    restock: readonly OrderLine[],
    cancelledAt: string
  ): Promise<CancelOrderOutcome> {
    const cancelled: OrderStatus = 'CANCELLED';
    const placed: OrderStatus = 'PLACED';
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: { [PK]: orderKeys.pk(order.orderId), [SK]: orderKeys.sk },
                UpdateExpression: 'SET #status = :cancelled, cancelledAt = :now, updatedAt = :now',
                // Only a PLACED order gives its stock back, so a second cancel cannot restock twice.
                ConditionExpression: '#status = :placed',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':cancelled': cancelled,
                  ':placed': placed,
                  ':now': cancelledAt,
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            ...restock.map((line): TransactItem => ({
              Update: {
                TableName: this.tableName,
                Key: productKey(line.productId),
                UpdateExpression: 'SET stock = stock + :quantity ADD version :one',
                // Without it, ADDing to a deleted product would create a stub item.
                ConditionExpression: 'attribute_exists(#pk)',
                ExpressionAttributeNames: { '#pk': PK },
                ExpressionAttributeValues: { ':quantity': line.quantity, ':one': 1 },
              },
            })),
          ],
        })
      );
      return {
        outcome: 'cancelled',
        order: { ...order, status: cancelled, cancelledAt, updatedAt: cancelledAt },
      };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      const [orderReason, ...productReasons] = reasons;
      if (orderReason?.Code === 'ConditionalCheckFailed') {
        return { outcome: 'not_placed', status: orderReason.Item?.status?.S ?? 'unknown' };
      }
      if (productReasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) {
        return { outcome: 'product_missing' };
      }
      if (reasons.some((reason) => TRANSIENT_CODES.has(reason.Code ?? ''))) return { outcome: 'contention' };
      throw error;
    }
  }

  async getIdempotencyRecord(userId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: idempotencyKeys.pk(userId, key), [SK]: idempotencyKeys.sk },
        ConsistentRead: true,
      })
    );
    if (!Item) return undefined;
    const record = Item as unknown as IdempotencyRecord;
    return { orderId: record.orderId, requestHash: record.requestHash };
  }
}
