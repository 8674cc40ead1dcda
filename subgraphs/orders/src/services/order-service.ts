import {
  Refusal,
  UserErrorCode,
  connectionPage,
  decodeTimeCursor,
  encodeTimeCursor,
  badUserInput,
  isUuid,
  pageSize,
  transactionOrRefusal,
  userError,
  type AuthenticatedUser,
  type Logger,
} from '@greencart/platform';
import type { StockClient } from '../clients/stock-client.js';
import type { Executor, OrdersDb } from '../db/database.js';
import { OrderRepository, type OrderScope } from '../db/order-repository.js';
import { ProductPairRepository } from '../db/product-pair-repository.js';
import { PaymentRepository } from '../db/payment-repository.js';
import { PurchaseRepository, type PurchaseRow } from '../db/purchase-repository.js';
import type { PaymentProcessor } from './payment-processor.js';
import type { OrderItemRow, OrderRow } from '../db/schema.js';
import type { OrderResult } from './order-placement.js';
import { canCancel, canFulfil, type PublicOrderStatus } from './order-rules.js';

/** A page of orders, with what is needed to count them all only if the client asks. */
export interface OrderPage {
  edges: Array<{ cursor: string; node: OrderRow }>;
  pageInfo: ReturnType<typeof connectionPage>['pageInfo'];
  scope: OrderScope;
}

/** The most customers, or products, one `purchases` question may name. */
export const MAX_PURCHASE_QUESTION = 100;

const orderNotFound = () => new Refusal([userError(UserErrorCode.NOT_FOUND, 'No such order.', 'id')]);

/** Reading orders, and the changes after placing: cancellation and fulfilment. */
export class OrderService {
  private readonly orders: OrderRepository;

  constructor(
    private readonly db: OrdersDb,
    private readonly stock: StockClient,
    private readonly processor: PaymentProcessor,
    private readonly logger: Logger,
  ) {
    this.orders = new OrderRepository(db);
  }

  /** The scope a user may list: their own orders, or every order for an admin. */
  static scopeOf(user: AuthenticatedUser): OrderScope {
    return user.role === 'ADMIN' ? { everyone: true } : { customerId: user.id };
  }

  async list(scope: OrderScope, args: { first?: number | null; after?: string | null }): Promise<OrderPage> {
    const first = pageSize(args.first);
    const rows = await this.orders.listPage(scope, decodeTimeCursor(args.after), first + 1);
    return { ...connectionPage(rows, first, args.after, (row) => encodeTimeCursor(row.createdAt, row.id)), scope };
  }

  /**
   * Which of the products (all, when null) each customer bought. Ids that are no UUID name nothing
   * and are left out; at most MAX_PURCHASE_QUESTION of each, so that one call stays one small statement.
   */
  purchasesOf(customerIds: readonly string[], productIds: readonly string[] | null | undefined): Promise<PurchaseRow[]> {
    if (customerIds.length > MAX_PURCHASE_QUESTION) throw badUserInput(`At most ${MAX_PURCHASE_QUESTION} customers at once.`, 'customerIds');
    if (productIds && productIds.length > MAX_PURCHASE_QUESTION) throw badUserInput(`At most ${MAX_PURCHASE_QUESTION} products at once.`, 'productIds');
    const lowerCased = (ids: readonly string[]) => ids.filter(isUuid).map((id) => id.toLowerCase());
    return new PurchaseRepository(this.db).purchasesOf(lowerCased(customerIds), productIds ? lowerCased(productIds) : undefined);
  }

  count(scope: OrderScope): Promise<number> {
    return this.orders.count(scope);
  }

  /** An order the user may see (their own, or any for an admin); null otherwise. */
  /** An order the user may see, with its lines (read in the same statement: a client asking for one order nearly always shows them). */
  async find(user: AuthenticatedUser, id: string): Promise<{ order: OrderRow; items: OrderItemRow[] } | null> {
    const found = await this.orders.findWithItems(id);
    return found && mayAccess(user, found.order) ? found : null;
  }

  /** Cancels an order (from PENDING_PAYMENT or PAID): a paid one is refunded in full; the stock comes back. */
  async cancel(user: AuthenticatedUser, id: string): Promise<OrderResult> {
    const result = await transactionOrRefusal<Executor, OrderRow>(this.db, async (tx) => {
      const orders = new OrderRepository(tx);
      const order = await orders.lock(id);
      if (!order || !mayAccess(user, order)) throw orderNotFound();
      if (!canCancel(order.status as PublicOrderStatus)) {
        throw new Refusal([userError(UserErrorCode.INVALID_STATE, `An order that is ${order.status} cannot be cancelled.`, 'id')]);
      }
      if (order.status === 'PAID') await this.refund(tx, order);
      const cancelled = await orders.setStatus(order.id, 'CANCELLED');
      await new ProductPairRepository(tx).uncountOrder(order.id, order.createdAt);
      return cancelled;
    });
    if (!result.value) return { order: null, userErrors: result.userErrors };
    await this.releaseStock(result.value);
    return { order: result.value, userErrors: [] };
  }

  /** Moves an order along its fulfilment (admins): PAID → SHIPPED → DELIVERED only. */
  async updateStatus(id: string, status: PublicOrderStatus): Promise<OrderResult> {
    const result = await transactionOrRefusal<Executor, OrderRow>(this.db, async (tx) => {
      const orders = new OrderRepository(tx);
      const order = await orders.lock(id);
      if (!order) throw orderNotFound();
      if (!canFulfil(order.status as PublicOrderStatus, status)) {
        throw new Refusal([userError(UserErrorCode.INVALID_STATE, `An order cannot go from ${order.status} to ${status}.`, 'status')]);
      }
      return orders.setStatus(order.id, status);
    });
    return result.value ? { order: result.value, userErrors: [] } : { order: null, userErrors: result.userErrors };
  }

  /** Refunds a paid order's total, recorded as a REFUND transaction; a failed refund cancels nothing. */
  private async refund(tx: Executor, order: OrderRow): Promise<void> {
    const payments = new PaymentRepository(tx);
    const charge = await payments.successfulCharge(order.id);
    if (!charge?.processorReference) throw new Error(`Paid order ${order.id} has no successful charge to refund`);
    const outcome = await this.processor.refund({ idempotencyKey: `order-${order.id}-refund`, chargeReference: charge.processorReference, amountCents: order.totalCents });
    if (!outcome.succeeded) throw new Refusal([userError(UserErrorCode.INVALID_STATE, `The refund failed (${outcome.failureReason}); the order stays paid.`, 'id')]);
    await payments.record({
      orderId: order.id,
      kind: 'REFUND',
      status: 'SUCCEEDED',
      amountCents: order.totalCents,
      paymentMethodId: charge.paymentMethodId,
      processorReference: outcome.reference,
    });
  }

  /** Gives a cancelled order's stock back; if products cannot be reached, the recovery sweep retries. */
  private async releaseStock(order: OrderRow): Promise<void> {
    try {
      await this.stock.release(order.stockReservationId);
      await this.orders.markStockReleased(order.id);
    } catch (error) {
      this.logger.warn("could not give back a cancelled order's stock yet; the recovery sweep will retry", { orderId: order.id, error: String(error) });
    }
  }
}

export function mayAccess(user: AuthenticatedUser, order: OrderRow): boolean {
  return user.role === 'ADMIN' || order.customerId === user.id;
}
