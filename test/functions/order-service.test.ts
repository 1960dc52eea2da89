import { randomUUID } from 'node:crypto';
import type { Caller } from '../../functions/shared/caller';
import { ConflictError } from '../../functions/shared/errors';
import { createDocumentClient } from '../../functions/shared/dynamodb';
import type { Log } from '../../functions/shared/logger';
import type { OrderEvent, OrderEventsPublisher } from '../../functions/shared/orders/events';
import type { Order } from '../../functions/shared/orders/model';
import {
  DynamoDbOrderRepository,
  type OrderRepository,
  type PlaceOrderOutcome,
} from '../../functions/shared/orders/repository';
import { OrderService } from '../../functions/shared/orders/service';
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
        await products.replace(
          product.productId,
          { name: 'Thing', priceCents: 650, stock: 5 },
          order.createdAt
        );
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

    const { order } = await service.place(caller, { items: [{ productId: product.productId, quantity: 2 }] });

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

    const attempt = service.place(caller, { items: [{ productId: product.productId, quantity: 1 }] });

    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toMatchObject({ code: 'concurrent_update' });
    expect(place).toHaveBeenCalledTimes(4);
    expect(publisher.events).toHaveLength(0);
    expect((await products.get(product.productId))?.stock).toBe(5);
  });
});
