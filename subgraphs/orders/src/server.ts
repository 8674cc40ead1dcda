import { startSubgraph, type RunningService, type SubgraphClient, type SubgraphDependencies } from '@greencart/platform';
import type { AccountsClient } from './clients/accounts-client.js';
import type { StockClient } from './clients/stock-client.js';
import { createContextFactory, type OrdersContext } from './context.js';
import type { OrdersDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';
import { invoicePrintRoute } from './routes/invoice-print-route.js';
import type { FaultInjector } from './services/faults.js';
import type { InvoiceLinks } from './services/invoice-links.js';
import type { PaymentProcessor } from './services/payment-processor.js';

export interface OrdersDependencies extends SubgraphDependencies {
  database: OrdersDatabase;
  /** The products subgraph, called directly with service credentials: catalogue reads… */
  products: SubgraphClient;
  /** … and its internal stock operations. */
  stock: StockClient;
  /** The accounts subgraph, for the customer's shipping address. */
  accounts: AccountsClient;
  /** Charges and refunds cards. */
  processor: PaymentProcessor;
  /** Signs and checks the links to printable invoices. */
  invoiceLinks: InvoiceLinks;
  /** Tests only: makes placing an order fail at chosen points. */
  faults?: FaultInjector;
}

/** Starts the orders subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startOrdersService(deps: OrdersDependencies, listen: { port: number; host: string }): Promise<RunningService> {
  if (deps.faults && deps.production) throw new Error('Fault injection is for tests and is never enabled in production.');
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  return startSubgraph<OrdersContext>(
    { name: 'orders', schemaFile, resolvers, context: createContextFactory(deps), routes: invoicePrintRoute(deps) },
    deps,
    listen,
  );
}

export { prepareOrdersDatabase } from './db/database.js';
export { createStockClient } from './clients/stock-client.js';
export { createAccountsClient } from './clients/accounts-client.js';
export { OrderRecovery } from './services/order-recovery.js';
export { createTestPaymentProcessor, type PaymentProcessor } from './services/payment-processor.js';
export { createInvoiceLinks } from './services/invoice-links.js';
export { SimulatedCrash, type FaultInjector, type FaultPoint } from './services/faults.js';
