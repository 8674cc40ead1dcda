import { ChangeFeed, startSubgraph, type ListenAddress, type RunningService, type SubgraphDependencies } from '@greencart/platform';
import { createContextFactory, type OrdersContext, type OrdersContextDependencies } from './context.js';
import type { OrdersDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';
import { invoicePrintRoute } from './routes/invoice-print-route.js';

export interface OrdersDependencies extends SubgraphDependencies, Omit<OrdersContextDependencies, 'orderChanges'> {
  database: OrdersDatabase;
}

/** The channel the orders and transactions tables' triggers notify with an order's id (migration 0003). */
export const ORDER_CHANGED_CHANNEL = 'greencart_order_changed';

/** Starts the orders subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startOrdersService(deps: OrdersDependencies, listen: ListenAddress): Promise<RunningService> {
  if (deps.faults && deps.production) throw new Error('Fault injection is for tests and is never enabled in production.');
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  // Orders' feed serves subscriptions only, not the gateway's cache: a slower self-notification proves it alive often enough.
  const changeFeed = new ChangeFeed({ sql: deps.database.sql, channel: ORDER_CHANGED_CHANNEL, typename: 'Order', logger: deps.logger, selfNotifyIntervalMs: 1_000 });
  return startSubgraph<OrdersContext>(
    {
      name: 'orders',
      schemaFile,
      resolvers,
      context: createContextFactory({ ...deps, orderChanges: changeFeed }),
      routes: invoicePrintRoute(deps),
      changeFeed,
    },
    deps,
    listen,
  );
}

export { prepareOrdersDatabase } from './db/database.js';
export { seedDemoOrders } from './seed/demo-orders.js';
export { createStockClient } from './clients/stock-client.js';
export { createAccountsClient } from './clients/accounts-client.js';
export { OrderRecovery } from './services/order-recovery.js';
export { createTestPaymentProcessor, type PaymentProcessor } from './services/payment-processor.js';
export { createInvoiceLinks } from './services/invoice-links.js';
export { SimulatedCrash, type FaultInjector, type FaultPoint } from './services/faults.js';
// The resolvers and context apart from the service, for a schema that runs them in process (the bench's monolith), and the pair counts behind boughtTogether for seeding straight into the database.
export { createContextFactory as createOrdersContextFactory, type OrdersContext, type OrdersContextDependencies } from './context.js';
export { resolvers as ordersResolvers } from './resolvers/index.js';
export { ProductPairRepository } from './db/product-pair-repository.js';
