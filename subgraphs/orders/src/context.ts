import { authenticate, type AuthenticatedUser, type ChangeSource, type IncomingGraphQLRequest, type ServiceName, type SubgraphClient, type UserTokenVerifier } from '@greencart/platform';
import type { OrdersDatabase } from './db/database.js';
import { createLoaders, type OrdersLoaders } from './loaders.js';
import type { AccountsClient } from './clients/accounts-client.js';
import type { StockClient } from './clients/stock-client.js';
import { BoughtTogetherService } from './services/bought-together.js';
import { CartService } from './services/cart-service.js';
import type { FaultInjector } from './services/faults.js';
import { OrderPlacement } from './services/order-placement.js';
import { OrderService } from './services/order-service.js';
import { InvoiceService } from './services/invoice-service.js';
import type { InvoiceLinks } from './services/invoice-links.js';
import type { PaymentProcessor } from './services/payment-processor.js';
import { PaymentService } from './services/payment-service.js';

/** What every orders resolver gets for one request. */
export interface OrdersContext {
  /** The signed-in customer or admin; undefined when anonymous. */
  user: AuthenticatedUser | undefined;
  /** The GreenCart service that sent the request. */
  caller: ServiceName | undefined;
  /** The bearer token as sent, passed on when orders asks accounts on the customer's behalf. */
  authorization: string | undefined;
  loaders: OrdersLoaders;
  carts: CartService;
  placement: OrderPlacement;
  orders: OrderService;
  payments: PaymentService;
  invoices: InvoiceService;
  boughtTogether: BoughtTogetherService;
  invoiceLinks: InvoiceLinks;
  /** This process's change feed of orders, for `orderUpdated`. */
  orderChanges: ChangeSource;
  /** Tests only: holds or fails work at chosen points. */
  faults?: FaultInjector;
}

/** What the orders subgraph works with, besides what every subgraph has (SubgraphDependencies). */
export interface OrdersContextDependencies {
  database: OrdersDatabase;
  verifier: UserTokenVerifier;
  /** The products subgraph, called directly with service credentials: catalogue reads… */
  products: SubgraphClient;
  /** … and its internal stock operations. */
  stock: StockClient;
  /** The accounts subgraph, for the customer's address, card token and billing details. */
  accounts: AccountsClient;
  /** Charges and refunds cards. */
  processor: PaymentProcessor;
  /** Signs and checks the links to printable invoices. */
  invoiceLinks: InvoiceLinks;
  /** Tests only: makes placing an order fail at chosen points. */
  faults?: FaultInjector;
  /** The change feed of orders, for `orderUpdated`. */
  orderChanges: ChangeSource;
}

export function createContextFactory(deps: OrdersContextDependencies) {
  return async (request: IncomingGraphQLRequest): Promise<OrdersContext> => {
    // Calls to products and accounts carry this request's id, so their logs line up with ours.
    const stock = deps.stock.forRequest(request.requestId);
    const accounts = deps.accounts.forRequest(request.requestId);
    const loaders = createLoaders(deps.database.db, deps.products.forRequest(request.requestId));
    return {
      user: await authenticate(deps.verifier, request.headers.authorization),
      caller: request.caller,
      authorization: request.headers.authorization,
      loaders,
      carts: new CartService(deps.database.db, loaders.catalogueProductById),
      placement: new OrderPlacement(deps.database.db, stock, accounts, request.logger, deps.faults),
      orders: new OrderService(deps.database.db, stock, deps.processor, request.logger),
      payments: new PaymentService(deps.database.db, accounts, deps.processor),
      invoices: new InvoiceService(deps.database.db),
      boughtTogether: new BoughtTogetherService(deps.database.db, loaders),
      invoiceLinks: deps.invoiceLinks,
      orderChanges: deps.orderChanges,
      faults: deps.faults,
    };
  };
}
