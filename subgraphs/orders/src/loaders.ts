import DataLoader from 'dataloader';
import { groupsByKey, type SubgraphClient } from '@greencart/platform';
import { createCatalogueProductLoader } from './clients/products-client.js';
import { CartRepository } from './db/cart-repository.js';
import type { OrdersDb } from './db/database.js';
import type { CartItemRow } from './db/schema.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement or call. */
export function createLoaders(db: OrdersDb, products: SubgraphClient) {
  const carts = new CartRepository(db);
  return {
    /** `Cart.items`, also read by `totalQuantity` and `subtotal` of the same cart. */
    cartItemsByCartId: new DataLoader<string, CartItemRow[]>(async (ids) => groupsByKey(ids, await carts.itemsOf(ids), (row) => row.cartId)),
    /** Current catalogue prices and stock for every line of the response, in one call to products. */
    catalogueProductById: createCatalogueProductLoader(products),
  };
}
export type OrdersLoaders = ReturnType<typeof createLoaders>;
