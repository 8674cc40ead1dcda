import { Refusal, UserErrorCode, isUuid, transactionOrRefusal, userError, type AuthenticatedUser, type UserError } from '@greencart/platform';
import type { AccountsClient } from '../clients/accounts-client.js';
import type { Executor, OrdersDb } from '../db/database.js';
import { InvoiceRepository } from '../db/invoice-repository.js';
import { OrderRepository } from '../db/order-repository.js';
import { PaymentRepository } from '../db/payment-repository.js';
import type { OrderRow, TransactionRow } from '../db/schema.js';
import { canPay, type PublicOrderStatus } from './order-rules.js';
import type { PaymentProcessor } from './payment-processor.js';

export type PayResult = { order: OrderRow; transaction: TransactionRow; userErrors: UserError[] } | { order: null; transaction: null; userErrors: UserError[] };

const refused = (...userErrors: UserError[]): PayResult => ({ order: null, transaction: null, userErrors });
const orderNotFound = () => userError(UserErrorCode.NOT_FOUND, 'No such order.', 'orderId');
const notPayable = (status: string) => userError(UserErrorCode.INVALID_STATE, `An order that is ${status} cannot be paid.`, 'orderId');

/**
 * Paying an order with a saved card. The attempt runs under the order's row lock, so a retried or
 * racing payOrder charges once (the next one finds the order PAID); each attempt also carries its
 * own idempotency key to the processor. Every attempt is recorded as a transaction; success makes
 * the order PAID and issues its invoice in the same database transaction.
 */
export class PaymentService {
  constructor(
    private readonly db: OrdersDb,
    private readonly accounts: AccountsClient,
    private readonly processor: PaymentProcessor,
  ) {}

  async pay(user: AuthenticatedUser, authorization: string, input: { orderId: string; paymentMethodId: string }): Promise<PayResult> {
    const [order] = isUuid(input.orderId) ? await new OrderRepository(this.db).findByIds([input.orderId]) : [];
    if (!order || order.customerId !== user.id) return refused(orderNotFound());
    if (!canPay(order.status as PublicOrderStatus)) return refused(notPayable(order.status));
    const method = isUuid(input.paymentMethodId) ? await this.accounts.chargeablePaymentMethod(authorization, input.paymentMethodId) : null;
    if (!method) return refused(userError(UserErrorCode.NOT_FOUND, 'No such payment method.', 'paymentMethodId'));
    const billedTo = await this.accounts.billedTo(authorization, order.customerId);
    if (!billedTo) throw new Error(`accounts did not resolve customer ${order.customerId} for its own request`);

    const result = await transactionOrRefusal<Executor, { order: OrderRow; transaction: TransactionRow }>(this.db, async (tx) => {
      const orders = new OrderRepository(tx);
      const payments = new PaymentRepository(tx);
      const locked = await orders.lock(order.id);
      if (!locked || !canPay(locked.status as PublicOrderStatus)) throw new Refusal([notPayable(locked?.status ?? 'gone')]);

      const attempt = (await payments.chargeAttempts(locked.id)) + 1;
      const outcome = await this.processor.charge({
        idempotencyKey: `order-${locked.id}-charge-${attempt}`,
        processorToken: method.processorToken,
        amountCents: locked.totalCents,
        currency: 'USD',
        description: `GreenCart order ${locked.number}`,
      });
      const transaction = await payments.record({
        orderId: locked.id,
        kind: 'CHARGE',
        status: outcome.succeeded ? 'SUCCEEDED' : 'FAILED',
        amountCents: locked.totalCents,
        failureReason: outcome.succeeded ? null : outcome.failureReason,
        paymentMethodId: input.paymentMethodId,
        processorReference: outcome.succeeded ? outcome.reference : null,
      });
      if (!outcome.succeeded) return { order: locked, transaction };

      const paid = await orders.setStatus(locked.id, 'PAID');
      await new InvoiceRepository(tx).issue(paid, await orders.itemsOf([paid.id]), billedTo);
      return { order: paid, transaction };
    });

    if (!result.value) return refused(...result.userErrors);
    const { order: after, transaction } = result.value;
    if (transaction.status === 'FAILED') {
      const reason = transaction.failureReason === 'insufficient_funds' ? 'The card has insufficient funds.' : 'The card was declined.';
      return { order: after, transaction, userErrors: [userError(UserErrorCode.PAYMENT_DECLINED, reason, 'paymentMethodId')] };
    }
    return { order: after, transaction, userErrors: [] };
  }
}
