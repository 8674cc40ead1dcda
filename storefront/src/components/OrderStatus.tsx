import type { OrderStatus as OrderStatusValue } from '../generated/graphql';

/** The words a shopper reads for each status of the API's. */
export const ORDER_STATUS_LABELS: Record<OrderStatusValue, string> = {
  PENDING_PAYMENT: 'Pending payment',
  PAID: 'Paid',
  SHIPPED: 'Shipped',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
};

export function OrderStatus({ status }: { status: OrderStatusValue }) {
  return <span className={`status status--${status}`}>{ORDER_STATUS_LABELS[status]}</span>;
}
