import type { SubgraphClient } from '@greencart/platform';

/** A product a customer bought, as orders tells it. */
export interface Purchase {
  customerId: string;
  productId: string;
  delivered: boolean;
  lastOrderedAt: Date;
}

/** Who bought what: the orders subgraph's internal `purchases` query. */
export interface PurchasesClient {
  /** Which of the products (all, when undefined) the customers bought: paid, shipped or delivered, not cancelled. */
  purchasesOf(customerIds: readonly string[], productIds?: readonly string[]): Promise<Purchase[]>;
  forRequest(requestId: string): PurchasesClient;
}

const PURCHASES = /* GraphQL */ `
  query Purchases($customerIds: [ID!]!, $productIds: [ID!]) {
    purchases(customerIds: $customerIds, productIds: $productIds) {
      customerId
      productId
      delivered
      lastOrderedAt
    }
  }
`;

/** Asks orders directly, with reviews' own service credentials (orders lets only reviews ask). */
export function createPurchasesClient(orders: SubgraphClient): PurchasesClient {
  return {
    async purchasesOf(customerIds, productIds) {
      const data = await orders.request<{ purchases: Array<Omit<Purchase, 'lastOrderedAt'> & { lastOrderedAt: string }> }>(PURCHASES, {
        customerIds,
        productIds: productIds ?? null,
      });
      return data.purchases.map((purchase) => ({ ...purchase, lastOrderedAt: new Date(purchase.lastOrderedAt) }));
    },
    forRequest: (requestId) => createPurchasesClient(orders.forRequest(requestId)),
  };
}
