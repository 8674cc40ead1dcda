import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './database.js';
import { cartItems, carts, type CartItemRow, type CartRow } from './schema.js';

/** Carts SQL, returning plain rows. */
export class CartRepository {
  constructor(private readonly db: Executor) {}

  /** The customer's cart, created on first use (reads of an existing cart write nothing). */
  async getOrCreate(customerId: string): Promise<CartRow> {
    const [existing] = await this.db.select().from(carts).where(eq(carts.customerId, customerId));
    if (existing) return existing;
    const [created] = await this.db.insert(carts).values({ customerId }).onConflictDoNothing({ target: carts.customerId }).returning();
    // A concurrent first read may have created it between our two statements.
    return created ?? (await this.db.select().from(carts).where(eq(carts.customerId, customerId)))[0]!;
  }

  /**
   * The customer's cart, locked until the transaction ends, so that concurrent changes to one
   * cart apply one after another (each sees the quantities the previous one left).
   */
  async getOrCreateLocked(customerId: string): Promise<CartRow> {
    await this.db.insert(carts).values({ customerId }).onConflictDoNothing({ target: carts.customerId });
    const [cart] = await this.db.select().from(carts).where(eq(carts.customerId, customerId)).for('update');
    return cart!;
  }

  async itemsOf(cartIds: readonly string[]): Promise<CartItemRow[]> {
    if (cartIds.length === 0) return [];
    return this.db.select().from(cartItems).where(inArray(cartItems.cartId, cartIds)).orderBy(asc(cartItems.createdAt), asc(cartItems.id));
  }

  /** The lines of the customer's cart (none when they have no cart yet). */
  async itemsOfCustomer(customerId: string): Promise<CartItemRow[]> {
    return this.db
      .select({ item: cartItems })
      .from(cartItems)
      .innerJoin(carts, eq(carts.id, cartItems.cartId))
      .where(eq(carts.customerId, customerId))
      .orderBy(asc(cartItems.createdAt), asc(cartItems.id))
      .then((rows) => rows.map((row) => row.item));
  }

  /**
   * Takes ordered lines out of the customer's cart: each line loses the quantity ordered (a line
   * the customer raised meanwhile keeps the difference). Answers false when a line is no longer in
   * the cart (another order took it), leaving the caller to roll its transaction back.
   */
  async removeOrdered(customerId: string, ordered: Array<{ productId: string; quantity: number }>): Promise<boolean> {
    const [cart] = await this.db.select().from(carts).where(eq(carts.customerId, customerId)).for('update');
    if (!cart) return false;
    for (const line of ordered) {
      // Delete before decrementing: a decremented line must not then match the delete.
      const deleted = await this.db
        .delete(cartItems)
        .where(and(eq(cartItems.cartId, cart.id), eq(cartItems.productId, line.productId), sql`${cartItems.quantity} <= ${line.quantity}`))
        .returning({ id: cartItems.id });
      if (deleted.length > 0) continue;
      const decremented = await this.db
        .update(cartItems)
        .set({ quantity: sql`${cartItems.quantity} - ${line.quantity}`, updatedAt: sql`now()` })
        .where(and(eq(cartItems.cartId, cart.id), eq(cartItems.productId, line.productId), sql`${cartItems.quantity} > ${line.quantity}`))
        .returning({ id: cartItems.id });
      if (decremented.length === 0) return false;
    }
    await this.touch(cart.id);
    return true;
  }

  async findItem(cartId: string, productId: string): Promise<CartItemRow | undefined> {
    const [item] = await this.db
      .select()
      .from(cartItems)
      .where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, productId)));
    return item;
  }

  async setQuantity(cartId: string, productId: string, quantity: number): Promise<void> {
    await this.db
      .insert(cartItems)
      .values({ cartId, productId, quantity })
      .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: { quantity, updatedAt: sql`now()` } });
    await this.touch(cartId);
  }

  async removeItem(cartId: string, productId: string): Promise<boolean> {
    const removed = await this.db
      .delete(cartItems)
      .where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, productId)))
      .returning({ id: cartItems.id });
    await this.touch(cartId);
    return removed.length > 0;
  }

  private async touch(cartId: string): Promise<void> {
    await this.db
      .update(carts)
      .set({ updatedAt: sql`now()` })
      .where(eq(carts.id, cartId));
  }
}
