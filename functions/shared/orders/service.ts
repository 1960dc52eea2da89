import { createHash, randomUUID } from 'node:crypto';
import { type Caller, isAdmin } from '../caller';
import {
  ConflictError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  NotFoundError,
  PreconditionRequiredError,
} from '../errors';
import { isWellFormedId } from '../ids';
import { type Log } from '../logger';
import { type Page, type PageRequest } from '../pagination';
import { type ProductRepository } from '../products/repository';
import { type OrderEvent, type OrderEventType, type OrderEventsPublisher } from './events';
import { parseWith } from '../validation';
import {
  idempotencyKeySchema,
  type Order,
  type OrderLine,
  type PlaceOrderInput,
  placeOrderSchema,
} from './model';
import { type OrderRepository } from './repository';

/** How long a retried POST with the same Idempotency-Key returns the original order (at least). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Attempts when another transaction gets in the way; each attempt re-reads current state. */
const MAX_ATTEMPTS = 4;

export interface OrderServiceDependencies {
  readonly orders: OrderRepository;
  readonly products: ProductRepository;
  readonly events: OrderEventsPublisher;
  readonly log: Log;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

export interface PlacedOrder {
  readonly order: Order;
  /** True when an earlier request with the same Idempotency-Key already placed this order. */
  readonly replayed: boolean;
}

/** Jittered exponential back-off, so contending requests do not collide again in lockstep. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
}

/** The body after validation, so formatting and key order of the JSON do not matter. */
function fingerprint(input: PlaceOrderInput): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/**
 * Orders: placing reserves stock, cancelling gives it back, each in one DynamoDB transaction.
 * Committed changes are announced as OrderPlaced / OrderCancelled events afterwards.
 */
export class OrderService {
  private readonly orders: OrderRepository;
  private readonly products: ProductRepository;
  private readonly events: OrderEventsPublisher;
  private readonly log: Log;
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(dependencies: OrderServiceDependencies) {
    this.orders = dependencies.orders;
    this.products = dependencies.products;
    this.events = dependencies.events;
    this.log = dependencies.log;
    this.now = dependencies.now ?? (() => new Date());
    this.newId = dependencies.newId ?? randomUUID;
  }

  /**
   * Places an order for the caller from an unvalidated body. The Idempotency-Key is required
   * (428 without it, nothing written): a client whose request timed out retries with the same
   * key and gets the order placed the first time (as it is now) without reserving stock again,
   * instead of a second order it never asked for. The same key with a different body is 422.
   */
  async place(caller: Caller, body: unknown, idempotencyKeyHeader: string | undefined): Promise<PlacedOrder> {
    const input = parseWith(placeOrderSchema, body);
    if (idempotencyKeyHeader === undefined) {
      throw new PreconditionRequiredError(
        'Idempotency-Key is required: send a unique key (a UUID) per order and the same key on every retry of it',
        'idempotency_key_required'
      );
    }
    const idempotencyKey = parseWith(idempotencyKeySchema, idempotencyKeyHeader, 'Idempotency-Key');
    const requestHash = fingerprint(input);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const earlier = await this.findEarlierOrder(caller, idempotencyKey, requestHash);
      if (earlier) return { order: earlier, replayed: true };
      const order = await this.priceOrder(caller, input);
      const claim = {
        key: idempotencyKey,
        requestHash,
        expiresAt: Math.floor(this.now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
      };
      const result = await this.orders.place(order, claim);
      switch (result.outcome) {
        case 'placed':
          await this.announce('OrderPlaced', order);
          return { order, replayed: false };
        case 'insufficient_stock':
          throw new InsufficientStockError(result.productId);
        case 'product_missing':
          throw this.unknownProduct(input, result.productId);
        case 'product_changed': // price changed since we read it: re-price
        case 'idempotency_key_taken': // a concurrent retry won: the next attempt replays it
        case 'contention':
          this.log.info('Order transaction attempt did not commit; retrying', {
            attempt,
            reason: result.outcome,
          });
          await pause(attempt);
      }
    }
    throw new ConflictError(
      'The order conflicted with concurrent updates; please retry',
      'concurrent_update'
    );
  }

  /** The caller's own order, or any order for an admin. */
  async get(caller: Caller, orderId: string): Promise<Order> {
    const order = isWellFormedId(orderId) ? await this.orders.get(orderId) : undefined;
    // Someone else's order is "not found", not "forbidden": its existence is none of the caller's business.
    if (!order || (order.userId !== caller.userId && !isAdmin(caller))) {
      throw new NotFoundError(`Order ${orderId} not found`);
    }
    return order;
  }

  list(caller: Caller, page: PageRequest): Promise<Page<Order>> {
    return this.orders.listForUser(caller.userId, page);
  }

  /** PLACED → CANCELLED, returning the reserved stock in the same transaction. */
  async cancel(caller: Caller, orderId: string): Promise<Order> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const order = await this.get(caller, orderId);
      if (order.status !== 'PLACED') throw this.notCancellable(order.orderId, order.status);
      // Stock of products deleted since the order was placed has nowhere to go back to.
      const existing = await this.products.getMany(order.items.map((line) => line.productId));
      const restock = order.items.filter((line) => existing.has(line.productId));
      const result = await this.orders.cancel(order, restock, this.now().toISOString());
      switch (result.outcome) {
        case 'cancelled':
          await this.announce('OrderCancelled', result.order);
          return result.order;
        case 'not_placed': // a concurrent cancel won
          throw this.notCancellable(order.orderId, result.status);
        case 'product_missing': // a product was deleted meanwhile: re-read
        case 'contention':
          this.log.info('Cancel transaction attempt did not commit; retrying', {
            attempt,
            reason: result.outcome,
          });
          await pause(attempt);
      }
    }
    throw new ConflictError(
      'The cancellation conflicted with concurrent updates; please retry',
      'concurrent_update'
    );
  }

  private async findEarlierOrder(
    caller: Caller,
    key: string,
    requestHash: string
  ): Promise<Order | undefined> {
    const record = await this.orders.getIdempotencyRecord(caller.userId, key);
    if (!record) return undefined;
    if (record.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    const order = await this.orders.get(record.orderId);
    // Written in the same transaction as the record, so its absence means corrupted data, not a client error.
    if (!order) throw new Error(`Idempotency record points at missing order ${record.orderId}`);
    return order;
  }

  /**
   * Builds the order from current catalogue data. The stock check here only fails fast; the
   * transaction's conditions are what actually guarantee stock never goes negative.
   */
  private async priceOrder(caller: Caller, input: PlaceOrderInput): Promise<Order> {
    const products = await this.products.getMany(input.items.map((item) => item.productId));
    const lines = input.items.map(({ productId, quantity }): OrderLine => {
      const product = products.get(productId);
      if (!product) throw this.unknownProduct(input, productId);
      if (product.stock < quantity) throw new InsufficientStockError(productId);
      return {
        productId,
        name: product.name,
        quantity,
        unitPriceCents: product.priceCents,
        lineTotalCents: product.priceCents * quantity,
      };
    });
    const timestamp = this.now().toISOString();
    return {
      orderId: this.newId(),
      userId: caller.userId,
      status: 'PLACED',
      items: lines,
      totalCents: lines.reduce((sum, line) => sum + line.lineTotalCents, 0),
      createdAt: timestamp,
      updatedAt: timestamp,
    };
  }

  /**
   * Sent after the commit, never before: an event must not announce an order that does not exist.
   * A failed send must not fail the request either, since the order is already committed; it is
   * logged with the order id so the event can be replayed from the table if needed.
   */
  private async announce(type: OrderEventType, order: Order): Promise<void> {
    const event: OrderEvent = { type, eventId: this.newId(), occurredAt: this.now().toISOString(), order };
    try {
      await this.events.publish(event);
    } catch (error) {
      this.log.error('Order event not published', {
        orderId: order.orderId,
        eventType: type,
        eventId: event.eventId,
        error,
      });
    }
  }

  private unknownProduct(input: PlaceOrderInput, productId: string): NotFoundError {
    const index = input.items.findIndex((item) => item.productId === productId);
    return new NotFoundError(`items[${index}].productId: product ${productId} does not exist`);
  }

  private notCancellable(orderId: string, status: string): ConflictError {
    return new ConflictError(
      `Order ${orderId} is ${status}; only PLACED orders can be cancelled`,
      'order_not_cancellable'
    );
  }
}
