import { randomUUID } from 'node:crypto';
import type { Caller } from '../../functions/shared/caller';
import { ConflictError, PreconditionRequiredError } from '../../functions/shared/errors';
import { createDocumentClient } from '../../functions/shared/dynamodb';
import { idempotencyKeys } from '../../functions/shared/orders/keys';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Log } from '../../functions/shared/logger';
import type { OrderEvent, OrderEventsPublisher } from '../../functions/shared/orders/events';
import type { Order } from '../../functions/shared/orders/model';
import {
  DynamoDbOrderRepository,
  type OrderRepository,
  type PlaceOrderOutcome,
} from '../../functions/shared/orders/repository';
import { IDEMPOTENCY_TTL_SECONDS, OrderService } from '../../functions/shared/orders/service';
import type { Product } from '../../functions/shared/products/model';
import { DynamoDbProductRepository } from '../../functions/shared/products/repository';
import { createTestTable, type TestTable, useTableFromHandlers } from '../support/table';

/**
 * The service and repository below the HTTP layer, against DynamoDB Local: the transaction
 * outcomes that a handler test cannot provoke on demand (a price changing between read and
 * write, a product deleted in between, contention that never clears).
 */

const caller: Caller = { userId: 'user-1', email: 'user-1@example.com', groups: [] };
const quietLog: Log = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };

class RecordingPublisher implements OrderEventsPublisher {
  readonly events: OrderEvent[] = [];

  publish(event: OrderEvent): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }
}

let table: TestTable;
let orders: DynamoDbOrderRepository;
let products: DynamoDbProductRepository;

beforeAll(async () => {
  table = await createTestTable('order-service');
  useTableFromHandlers(table);
  const db = createDocumentClient();
  orders = new DynamoDbOrderRepository(db, table.tableName);
  products = new DynamoDbProductRepository(db, table.tableName);
});

afterAll(() => table.destroy());

async function seedProduct(stock: number, priceCents = 500): Promise<Product> {
  const now = new Date().toISOString();
  const product: Product = {
    productId: randomUUID(),
    name: 'Thing',
    priceCents,
    stock,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  expect(await products.create(product)).toBe(true);
  return product;
}

function orderFor(product: Product, quantity: number, unitPriceCents = product.priceCents): Order {
  const now = new Date().toISOString();
  return {
    orderId: randomUUID(),
    userId: caller.userId,
    status: 'PLACED',
    items: [
      { productId: product.productId, name: product.name, quantity, unitPriceCents, lineTotalCents: 0 },
    ],
    totalCents: 0,
    createdAt: now,
    updatedAt: now,
  };
}

describe('DynamoDbOrderRepository.place', () => {
  it('refuses, writing nothing, when the price changed since the order was priced', async () => {
    const product = await seedProduct(5, 500);

    const order = orderFor(product, 1, 450);
    const outcome = await orders.place(order);

    expect(outcome).toEqual({ outcome: 'product_changed', productId: product.productId });
    expect((await products.get(product.productId))?.stock).toBe(5);
    expect(await orders.get(order.orderId)).toBeUndefined();
  });

  it('reports a product deleted since the order was priced', async () => {
    const product = await seedProduct(5);
    await products.delete(product.productId);

    const outcome = await orders.place(orderFor(product, 1));

    expect(outcome).toEqual({ outcome: 'product_missing', productId: product.productId });
    // The failed condition did not create a stub product either.
    expect(await products.get(product.productId)).toBeUndefined();
  });

  it('reports a taken idempotency key and writes neither order nor reservation', async () => {
    const product = await seedProduct(5);
    const claim = { key: 'key-1', requestHash: 'hash', expiresAt: 1 };
    expect(await orders.place(orderFor(product, 1), claim)).toEqual({ outcome: 'placed' });

    const second = orderFor(product, 1);
    const outcome = await orders.place(second, claim);

    expect(outcome).toEqual({ outcome: 'idempotency_key_taken' });
    expect(await orders.get(second.orderId)).toBeUndefined();
    expect((await products.get(product.productId))?.stock).toBe(4);
  });
});

describe('OrderService', () => {
  it('re-prices and retries when the price changes between read and transaction', async () => {
    const product = await seedProduct(5, 500);
    let attempts = 0;
    // The real repository, except that before the first transaction an admin changes the price.
    const racingRepository: OrderRepository = Object.create(orders) as OrderRepository;
    racingRepository.place = async (order, claim): Promise<PlaceOrderOutcome> => {
      if (attempts++ === 0) {
        await products.replace(product.productId, { name: 'Thing', priceCents: 650 }, 1, order.createdAt);
      }
      return orders.place(order, claim);
    };
    const publisher = new RecordingPublisher();
    const service = new OrderService({
      orders: racingRepository,
      products,
      events: publisher,
      log: quietLog,
    });

    const { order } = await service.place(
      caller,
      { items: [{ productId: product.productId, quantity: 2 }] },
      randomUUID()
    );

    expect(attempts).toBe(2);
    expect(order.totalCents).toBe(1_300);
    expect((await products.get(product.productId))?.stock).toBe(3);
    expect(publisher.events.map((event) => event.order.orderId)).toEqual([order.orderId]);
  });

  it('gives up with 409 concurrent_update when contention never clears, having written nothing', async () => {
    const product = await seedProduct(5);
    const place = jest.fn(() => Promise.resolve<PlaceOrderOutcome>({ outcome: 'contention' }));
    const contended: OrderRepository = Object.create(orders) as OrderRepository;
    contended.place = place;
    const publisher = new RecordingPublisher();
    const service = new OrderService({ orders: contended, products, events: publisher, log: quietLog });

    const attempt = service.place(
      caller,
      { items: [{ productId: product.productId, quantity: 1 }] },
      randomUUID()
    );

    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toMatchObject({ code: 'concurrent_update' });
    expect(place).toHaveBeenCalledTimes(4);
    expect(publisher.events).toHaveLength(0);
    expect((await products.get(product.productId))?.stock).toBe(5);
  });

  it('requires an Idempotency-Key (428 idempotency_key_required) and writes nothing without one', async () => {
    const product = await seedProduct(5);
    const publisher = new RecordingPublisher();
    const service = new OrderService({ orders, products, events: publisher, log: quietLog });
    const before = (await table.client.send(new ScanCommand({ TableName: table.tableName }))).Count;

    const attempt = service.place(
      caller,
      { items: [{ productId: product.productId, quantity: 1 }] },
      undefined
    );

    await expect(attempt).rejects.toThrow(PreconditionRequiredError);
    await expect(attempt).rejects.toMatchObject({ code: 'idempotency_key_required' });
    expect((await table.client.send(new ScanCommand({ TableName: table.tableName }))).Count).toBe(before);
    expect(publisher.events).toHaveLength(0);
  });

  it('stores the idempotency record to expire exactly 24 hours after placement', async () => {
    const product = await seedProduct(5);
    const placedAt = new Date('2026-03-01T12:00:00.500Z');
    const service = new OrderService({
      orders,
      products,
      events: new RecordingPublisher(),
      log: quietLog,
      now: () => placedAt,
    });
    const key = randomUUID();

    await service.place(caller, { items: [{ productId: product.productId, quantity: 1 }] }, key);

    const { Item } = await table.client.send(
      new GetCommand({
        TableName: table.tableName,
        Key: {
          [TABLE_SCHEMA.partitionKey]: idempotencyKeys.pk(caller.userId, key),
          [TABLE_SCHEMA.sortKey]: idempotencyKeys.sk,
        },
        ConsistentRead: true,
      })
    );
    expect(IDEMPOTENCY_TTL_SECONDS).toBe(86_400);
    expect(Item?.expiresAt).toBe(Date.parse('2026-03-02T12:00:00.000Z') / 1000);
  });

  it('retries a cancellation whose transaction met a product deleted meanwhile, restocking the rest', async () => {
    const kept = await seedProduct(10);
    const doomed = await seedProduct(10);
    const setup = new OrderService({ orders, products, events: new RecordingPublisher(), log: quietLog });
    const { order } = await setup.place(
      caller,
      {
        items: [
          { productId: kept.productId, quantity: 2 },
          { productId: doomed.productId, quantity: 3 },
        ],
      },
      randomUUID()
    );
    // The real repository, except that the product is deleted after the service has read it.
    const racingProducts: DynamoDbProductRepository = Object.create(products) as DynamoDbProductRepository;
    let reads = 0;
    racingProducts.getMany = async (ids) => {
      const found = await products.getMany(ids);
      if (reads++ === 0) await products.delete(doomed.productId);
      return found;
    };
    const log: Log = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const publisher = new RecordingPublisher();
    const service = new OrderService({ orders, products: racingProducts, events: publisher, log });

    const cancelled = await service.cancel(caller, order.orderId);

    expect(cancelled.status).toBe('CANCELLED');
    expect(reads).toBe(2);
    expect(log.info).toHaveBeenCalledWith('Cancel transaction attempt did not commit; retrying', {
      attempt: 1,
      reason: 'product_missing',
    });
    expect((await products.get(kept.productId))?.stock).toBe(10);
    // Not resurrected by the restock of the first attempt.
    expect(await products.get(doomed.productId)).toBeUndefined();
    expect(publisher.events.map((event) => event.type)).toEqual(['OrderCancelled']);
  });

  it('gives up a cancellation with 409 concurrent_update when contention never clears, changing nothing', async () => {
    const product = await seedProduct(5);
    const setup = new OrderService({ orders, products, events: new RecordingPublisher(), log: quietLog });
    const { order } = await setup.place(
      caller,
      { items: [{ productId: product.productId, quantity: 2 }] },
      randomUUID()
    );
    const contended: OrderRepository = Object.create(orders) as OrderRepository;
    const cancel = jest.fn(() => Promise.resolve({ outcome: 'contention' as const }));
    contended.cancel = cancel;
    const service = new OrderService({
      orders: contended,
      products,
      events: new RecordingPublisher(),
      log: quietLog,
    });

    const attempt = service.cancel(caller, order.orderId);

    await expect(attempt).rejects.toMatchObject({ code: 'concurrent_update' });
    expect(cancel).toHaveBeenCalledTimes(4);
    expect((await orders.get(order.orderId))?.status).toBe('PLACED');
    expect((await products.get(product.productId))?.stock).toBe(3);
  });
});
