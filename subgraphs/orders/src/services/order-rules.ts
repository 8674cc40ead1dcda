import type { OrderStatus } from '../db/schema.js';

/** The order state machine: pure, so unit-tested on its own. PLACING is internal and never a target. */

export type PublicOrderStatus = Exclude<OrderStatus, 'PLACING'>;

/** Who may move an order, and where. */
const TRANSITIONS: Record<PublicOrderStatus, Partial<Record<PublicOrderStatus, 'payment' | 'cancellation' | 'fulfilment'>>> = {
  PENDING_PAYMENT: { PAID: 'payment', CANCELLED: 'cancellation' },
  PAID: { SHIPPED: 'fulfilment', CANCELLED: 'cancellation' },
  SHIPPED: { DELIVERED: 'fulfilment' },
  DELIVERED: {},
  CANCELLED: {},
};

/** Whether an order may be cancelled from this status (its stock comes back; a paid one is refunded). */
export function canCancel(status: PublicOrderStatus): boolean {
  return TRANSITIONS[status].CANCELLED === 'cancellation';
}

/** Whether an admin may move an order from one status to another with updateOrderStatus. */
export function canFulfil(from: PublicOrderStatus, to: PublicOrderStatus): boolean {
  return TRANSITIONS[from][to] === 'fulfilment';
}

/** Whether a payment may move an order from this status to PAID. */
export function canPay(status: PublicOrderStatus): boolean {
  return TRANSITIONS[status].PAID === 'payment';
}

/** Statuses whose stock is still taken (the order was not cancelled). */
export function holdsStock(status: OrderStatus): boolean {
  return status !== 'CANCELLED';
}
