/** The four GreenCart processes, in the order a deployment starts them, and each one's entry point (run through tsx). */
export const SERVICES = ['products', 'accounts', 'orders', 'gateway'] as const;
export type Service = (typeof SERVICES)[number];
export const ENTRY: Record<Service, string> = {
  products: 'subgraphs/products/src/index.ts',
  accounts: 'subgraphs/accounts/src/index.ts',
  orders: 'subgraphs/orders/src/index.ts',
  gateway: 'gateway/src/index.ts',
};
