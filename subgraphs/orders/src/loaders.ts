import DataLoader from 'dataloader';
import { groupsByKey, rowsByKey, type SubgraphClient } from '@greencart/platform';
import { createCatalogueProductLoader } from './clients/products-client.js';
import { CartRepository } from './db/cart-repository.js';
import type { OrdersDb } from './db/database.js';
import { OrderRepository } from './db/order-repository.js';
import { InvoiceRepository } from './db/invoice-repository.js';
import { ProductPairRepository } from './db/product-pair-repository.js';
import { PARTNER_CANDIDATES } from './services/bought-together.js';
import type { CartItemRow, InvoiceLineRow, InvoiceRow, OrderItemRow, OrderRow, TransactionRow } from './db/schema.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement or call. */
export function createLoaders(db: OrdersDb, products: SubgraphClient) {
  const carts = new CartRepository(db);
  const orders = new OrderRepository(db);
  const invoices = new InvoiceRepository(db);
  const pairs = new ProductPairRepository(db);
  return {
    /** `Invoice.order` across a page of invoices. */
    orderById: new DataLoader<string, OrderRow | null>(async (ids) => rowsByKey(ids, await orders.findByIds(ids), (row) => row.id)),
    /** `Invoice.lines` across a page of invoices. */
    invoiceLinesByInvoiceId: new DataLoader<string, InvoiceLineRow[]>(async (ids) => groupsByKey(ids, await invoices.linesOf(ids), (row) => row.invoiceId)),
    /** `Cart.items`, also read by `totalQuantity` and `subtotal` of the same cart. */
    cartItemsByCartId: new DataLoader<string, CartItemRow[]>(async (ids) => groupsByKey(ids, await carts.itemsOf(ids), (row) => row.cartId)),
    /** `Order.items` across a page of orders: one statement however many orders and lines. */
    orderItemsByOrderId: new DataLoader<string, OrderItemRow[]>(async (ids) => groupsByKey(ids, await orders.itemsOf(ids), (row) => row.orderId)),
    /** `Order.transactions` across a page of orders. */
    transactionsByOrderId: new DataLoader<string, TransactionRow[]>(async (ids) => groupsByKey(ids, await orders.transactionsOf(ids), (row) => row.orderId)),
    /** `Order.invoice` across a page of orders. */
    invoiceByOrderId: new DataLoader<string, InvoiceRow | null>(async (ids) => rowsByKey(ids, await orders.invoicesOf(ids), (row) => row.orderId)),
    /** `Product.boughtTogether` across a page of products: each one's top candidates, one statement. */
    partnersByProductId: new DataLoader<string, string[]>(async (ids) =>
      groupsByKey(ids, await pairs.partnersOf(ids, PARTNER_CANDIDATES), (row) => row.productId).map((partners) => partners.map((partner) => partner.otherProductId)),
    ),
    /** Current catalogue prices and stock for every line of the response, in one call to products. */
    catalogueProductById: createCatalogueProductLoader(products),
  };
}
export type OrdersLoaders = ReturnType<typeof createLoaders>;
