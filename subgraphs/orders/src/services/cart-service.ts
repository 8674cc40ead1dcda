import type DataLoader from 'dataloader';
import { Refusal, UserErrorCode, isUuid, transactionOrRefusal, userError, type UserError } from '@greencart/platform';
import type { CatalogueProduct } from '../clients/products-client.js';
import type { Executor, OrdersDb } from '../db/database.js';
import { CartRepository } from '../db/cart-repository.js';
import type { CartRow } from '../db/schema.js';

/** No line may hold more than this many units, whatever the stock. */
export const MAX_LINE_QUANTITY = 10_000;

export type CartResult = { cart: CartRow; userErrors: [] } | { cart: null; userErrors: UserError[] };
const refused = (...userErrors: UserError[]): CartResult => ({ cart: null, userErrors });

/**
 * The cart's rules. Products are checked with the products subgraph before anything is written;
 * each change then runs in a transaction holding the cart's row lock.
 */
export class CartService {
  private readonly carts: CartRepository;

  constructor(
    private readonly db: OrdersDb,
    private readonly catalogue: DataLoader<string, CatalogueProduct | null>,
  ) {
    this.carts = new CartRepository(db);
  }

  getCart(customerId: string): Promise<CartRow> {
    return this.carts.getOrCreate(customerId);
  }

  async addToCart(customerId: string, input: { productId: string; quantity: number }): Promise<CartResult> {
    if (input.quantity < 1 || input.quantity > MAX_LINE_QUANTITY) {
      return refused(userError(UserErrorCode.INVALID_INPUT, `Quantity must be between 1 and ${MAX_LINE_QUANTITY}.`, 'quantity'));
    }
    const product = await this.purchasableProduct(input.productId);
    if (!product) return refused(productNotFound());
    return this.inTransaction(customerId, async (carts, cart) => {
      const current = (await carts.findItem(cart.id, product.id))?.quantity ?? 0;
      const wanted = current + input.quantity;
      if (wanted > product.stock) return [outOfStock(product, current)];
      if (wanted > MAX_LINE_QUANTITY) return [userError(UserErrorCode.INVALID_INPUT, `A cart line may hold at most ${MAX_LINE_QUANTITY} units.`, 'quantity')];
      await carts.setQuantity(cart.id, product.id, wanted);
      return [];
    });
  }

  async updateCartItem(customerId: string, input: { productId: string; quantity: number }): Promise<CartResult> {
    if (input.quantity < 0 || input.quantity > MAX_LINE_QUANTITY) {
      return refused(userError(UserErrorCode.INVALID_INPUT, `Quantity must be between 0 and ${MAX_LINE_QUANTITY}.`, 'quantity'));
    }
    if (input.quantity === 0) return this.removeFromCart(customerId, input.productId);
    const product = await this.purchasableProduct(input.productId);
    if (!product) return refused(productNotFound());
    if (input.quantity > product.stock) return refused(outOfStock(product, 0));
    return this.inTransaction(customerId, async (carts, cart) => {
      await carts.setQuantity(cart.id, product.id, input.quantity);
      return [];
    });
  }

  async removeFromCart(customerId: string, productId: string): Promise<CartResult> {
    if (!isUuid(productId)) return refused(notInCart());
    return this.inTransaction(customerId, async (carts, cart) => ((await carts.removeItem(cart.id, productId)) ? [] : [notInCart()]));
  }

  /** A product that can be put in a cart: known to the catalogue and not archived. */
  private async purchasableProduct(productId: string): Promise<CatalogueProduct | undefined> {
    if (!isUuid(productId)) return undefined;
    const product = await this.catalogue.load(productId);
    return product?.status === 'ACTIVE' ? product : undefined;
  }

  /** Runs a change under the cart's lock; a refusal rolls the transaction back. */
  private async inTransaction(customerId: string, change: (carts: CartRepository, cart: CartRow) => Promise<UserError[]>): Promise<CartResult> {
    const result = await transactionOrRefusal<Executor, CartRow>(this.db, async (tx) => {
      const carts = new CartRepository(tx);
      const locked = await carts.getOrCreateLocked(customerId);
      const errors = await change(carts, locked);
      if (errors.length > 0) throw new Refusal(errors);
      return locked;
    });
    return result.value ? { cart: result.value, userErrors: [] } : refused(...result.userErrors);
  }
}

const productNotFound = () => userError(UserErrorCode.NOT_FOUND, 'No such product in the catalogue.', 'productId');
const notInCart = () => userError(UserErrorCode.NOT_FOUND, 'This product is not in the cart.', 'productId');
function outOfStock(product: CatalogueProduct, inCart: number): UserError {
  const left = product.stock === 0 ? 'none are left' : `only ${product.stock} left`;
  const already = inCart > 0 ? ` and ${inCart} already in the cart` : '';
  return userError(UserErrorCode.OUT_OF_STOCK, `Not enough stock of ${product.sku}: ${left}${already}.`, 'quantity');
}
