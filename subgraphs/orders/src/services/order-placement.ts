import { createHash, randomUUID } from 'node:crypto';
import { Refusal, UserErrorCode, freeTextProblem, isUuid, transactionOrRefusal, userError, type Logger, type UserError } from '@greencart/platform';
import type { AccountsClient, CustomerAddress } from '../clients/accounts-client.js';
import type { ReservedLine, StockClient, StockProblem } from '../clients/stock-client.js';
import { CartRepository } from '../db/cart-repository.js';
import type { Executor, OrdersDb } from '../db/database.js';
import { OrderRepository } from '../db/order-repository.js';
import { ProductPairRepository } from '../db/product-pair-repository.js';
import type { OrderRow } from '../db/schema.js';
import { SimulatedCrash, type FaultInjector } from './faults.js';
import { MAX_LINE_QUANTITY } from './cart-service.js';

/** Different products in one order, at most (the stock reservation takes every line in one statement). */
export const MAX_ORDER_LINES = 100;

export interface PlaceOrderInput {
  idempotencyKey: string;
  items?: Array<{ productId: string; quantity: number }> | null;
  shippingAddressId?: string | null;
}

export type OrderResult = { order: OrderRow; userErrors: [] } | { order: null; userErrors: UserError[] };
const refused = (...userErrors: UserError[]): OrderResult => ({ order: null, userErrors });

export interface Line {
  productId: string;
  quantity: number;
  /** Where the line came from in the input (`items.N`), or null for the cart. */
  field: string | null;
}

/** Lines for one product merged, in the order of their first appearance; pure, so unit-tested. */
export function mergeLines(items: Array<{ productId: string; quantity: number }>): Line[] {
  const merged = new Map<string, Line>();
  items.forEach((item, index) => {
    // Product ids are UUIDs, which the catalogue takes in any letter case and answers in lower case.
    const productId = isUuid(item.productId) ? item.productId.toLowerCase() : item.productId;
    const line = merged.get(productId);
    if (line) line.quantity += item.quantity;
    else merged.set(productId, { productId, quantity: item.quantity, field: `items.${index}` });
  });
  return [...merged.values()];
}

/** What a request asked for, as a digest: a retry matches it, a different order with the same key does not. */
export function requestFingerprint(input: PlaceOrderInput): string {
  const what = input.items
    ? {
        items: mergeLines(input.items)
          .map(({ productId, quantity }) => [productId, quantity])
          .sort(),
        address: input.shippingAddressId ?? null,
      }
    : { cart: true, address: input.shippingAddressId ?? null };
  return createHash('sha256').update(JSON.stringify(what)).digest('base64url');
}

/**
 * Placing an order, across the orders/products boundary:
 * 1. validate; a repeated idempotency key answers the first order;
 * 2. claim the key with a PLACING row (so racing duplicates cannot both go on);
 * 3. reserve the stock of every line at once in products (all or nothing, idempotent);
 * 4. write the order and its lines, and empty the ordered cart lines, in one transaction.
 * If anything fails after 3, the reservation is released and the claim deleted; if the process
 * dies instead, the recovery sweep does the same later. No half-order is ever visible.
 */
export class OrderPlacement {
  private readonly orders: OrderRepository;

  constructor(
    private readonly db: OrdersDb,
    private readonly stock: StockClient,
    private readonly accounts: AccountsClient,
    private readonly logger: Logger,
    private readonly faults?: FaultInjector,
  ) {
    this.orders = new OrderRepository(db);
  }

  async place(customerId: string, authorization: string, input: PlaceOrderInput): Promise<OrderResult> {
    const invalid = validatePlaceOrderInput(input);
    if (invalid.length > 0) return refused(...invalid);
    const idempotencyKey = input.idempotencyKey.trim();
    const fingerprint = requestFingerprint(input);

    const earlier = await this.orders.findByKey(customerId, idempotencyKey);
    if (earlier) return replay(earlier, fingerprint);

    const lines = input.items ? mergeLines(input.items) : await this.cartLines(customerId);
    if (lines.length === 0) return refused(userError(UserErrorCode.CART_EMPTY, 'The cart is empty.'));
    if (lines.length > MAX_ORDER_LINES) {
      return refused(userError(UserErrorCode.INVALID_INPUT, `An order may hold at most ${MAX_ORDER_LINES} different products.`, input.items ? 'items' : null));
    }
    const unknown = lines.find((line) => !isUuid(line.productId));
    if (unknown) return refused(productNotFound(unknown.field));

    let shipping: CustomerAddress | null = null;
    if (input.shippingAddressId) {
      shipping = isUuid(input.shippingAddressId) ? await this.accounts.addressOf(authorization, input.shippingAddressId) : null;
      if (!shipping) return refused(userError(UserErrorCode.NOT_FOUND, 'No such address.', 'shippingAddressId'));
    }

    const claim = await this.orders.claim({ customerId, idempotencyKey, requestFingerprint: fingerprint, stockReservationId: randomUUID() });
    if (!claim) {
      const winner = await this.orders.findByKey(customerId, idempotencyKey);
      return winner ? replay(winner, fingerprint) : refused(inFlight());
    }

    let reservation;
    try {
      reservation = await this.stock.reserve(
        claim.stockReservationId,
        lines.map(({ productId, quantity }) => ({ productId, quantity })),
      );
    } catch (error) {
      // The reservation may or may not have happened: release it either way (idempotent).
      await this.abandon(claim, error);
      throw error;
    }
    if (!reservation.reserved) {
      await this.orders.deleteClaim(claim.id);
      return refused(...reservation.problems.map((problem) => stockProblemError(problem, lines)));
    }

    try {
      await this.faults?.at('afterReserve');
      // Products answers in its own order; the order keeps the customer's.
      const reserved = lines.map((line) => reservation.lines.find((reservedLine) => reservedLine.productId === line.productId)!);
      const result = await this.complete(claim, reserved, shipping, input.items ? null : lines);
      // A refused completion wrote nothing: give the stock back and free the key now.
      if (!result.order) await this.abandon(claim, 'completion refused');
      return result;
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) await this.abandon(claim, error);
      throw error;
    }
  }

  /** Writes the order and its lines, counts its product pairs, and takes the ordered lines out of the cart, in one transaction. */
  private async complete(claim: OrderRow, reserved: ReservedLine[], shipping: CustomerAddress | null, fromCart: Line[] | null): Promise<OrderResult> {
    const items = reserved.map((line) => ({ ...line, lineTotalCents: line.unitPriceCents * line.quantity }));
    const subtotalCents = items.reduce((sum, item) => sum + item.lineTotalCents, 0);
    const result = await transactionOrRefusal<Executor, OrderRow>(this.db, async (tx) => {
      const order = await new OrderRepository(tx).completePlacement(claim.id, { items, subtotalCents, totalCents: subtotalCents, shipping });
      if (!order) throw new Error(`Order claim ${claim.id} vanished before it was completed`);
      await new ProductPairRepository(tx).countOrder(items.map((item) => item.productId));
      if (fromCart && !(await new CartRepository(tx).removeOrdered(claim.customerId, fromCart))) {
        // Another order took these cart lines after they were read: a cart is ordered once.
        throw new Refusal([userError(UserErrorCode.CONFLICT, 'The cart was ordered by another request meanwhile; check your orders and your cart.')]);
      }
      await this.faults?.at('beforeCommit');
      return order;
    });
    return result.value ? { order: result.value, userErrors: [] } : refused(...result.userErrors);
  }

  /** Gives the stock back and drops the claim; if products cannot be reached, the sweep retries later. */
  private async abandon(claim: OrderRow, cause: unknown): Promise<void> {
    try {
      await this.stock.release(claim.stockReservationId);
      await this.orders.deleteClaim(claim.id);
    } catch (error) {
      this.logger.error('could not give back the stock of a failed order; the recovery sweep will retry', {
        orderId: claim.id,
        reservationId: claim.stockReservationId,
        cause: String(cause),
        error: String(error),
      });
    }
  }

  private async cartLines(customerId: string): Promise<Line[]> {
    const items = await new CartRepository(this.db).itemsOfCustomer(customerId);
    return items.map((item) => ({ productId: item.productId, quantity: item.quantity, field: null }));
  }
}

/** Checks a placeOrder input before anything is read or written; every problem at once. */
export function validatePlaceOrderInput(input: PlaceOrderInput): UserError[] {
  const errors: UserError[] = [];
  const key = input.idempotencyKey.trim();
  const keyCharacters = freeTextProblem('The idempotency key', input.idempotencyKey, 'single-line');
  if (keyCharacters) errors.push(userError(UserErrorCode.INVALID_INPUT, keyCharacters, 'idempotencyKey'));
  else if (key.length === 0 || key.length > 255) errors.push(userError(UserErrorCode.INVALID_INPUT, 'The idempotency key must be 1 to 255 characters.', 'idempotencyKey'));
  if (input.items) {
    if (input.items.length === 0) errors.push(userError(UserErrorCode.INVALID_INPUT, 'Order at least one item, or leave items out to order the cart.', 'items'));
    input.items.forEach((item, index) => {
      if (item.quantity < 1 || item.quantity > MAX_LINE_QUANTITY) {
        errors.push(userError(UserErrorCode.INVALID_INPUT, `Quantity must be between 1 and ${MAX_LINE_QUANTITY}.`, `items.${index}.quantity`));
      }
    });
  }
  return errors;
}

/** The first order for this key, if the request matches it. */
function replay(earlier: OrderRow, fingerprint: string): OrderResult {
  if (earlier.requestFingerprint !== fingerprint) {
    return refused(userError(UserErrorCode.CONFLICT, 'This idempotency key was already used for a different order.', 'idempotencyKey'));
  }
  if (earlier.status === 'PLACING') return refused(inFlight());
  return { order: earlier, userErrors: [] };
}

const inFlight = () => userError(UserErrorCode.CONFLICT, 'An order with this idempotency key is still being placed; try again in a moment.', 'idempotencyKey');
const productNotFound = (field: string | null) => userError(UserErrorCode.NOT_FOUND, 'No such product in the catalogue.', field ? `${field}.productId` : null);

/**
 * The user error for a line products could not reserve, naming the product: by its sku when it is
 * archived, by its id when products does not know it. A line from the cart has no input path, so
 * its error has no field, and says to take the product out of the cart (removeFromCart).
 */
export function stockProblemError(problem: StockProblem, lines: readonly Line[]): UserError {
  const field = lines.find((line) => line.productId === problem.productId)?.field ?? null;
  if (problem.code === 'NOT_FOUND') {
    const product = problem.sku === null ? `Product ${problem.productId} is not in the catalogue` : `Product ${problem.sku} is no longer in the catalogue`;
    if (field) return userError(UserErrorCode.NOT_FOUND, `${product}.`, `${field}.productId`);
    return userError(UserErrorCode.NOT_FOUND, `${product}: remove it from the cart to order the rest.`, null);
  }
  const left = problem.available ? `only ${problem.available} left` : 'none left';
  return userError(UserErrorCode.OUT_OF_STOCK, `Not enough stock of ${problem.sku}: ${left}.`, field ? `${field}.quantity` : null);
}
