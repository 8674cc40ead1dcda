import { badUserInput, isUuid } from '@greencart/platform';
import type { ProductsDb } from '../db/database.js';
import { StockReservationRepository, type LockedProductRow, type NewStockReservationLine } from '../db/stock-reservation-repository.js';

/** The most distinct products one reservation may hold (keeps every statement's parameters bounded). */
export const MAX_RESERVATION_LINES = 1000;

/** One requested line: units of one product. */
export interface StockLineRequest {
  productId: string;
  quantity: number;
}

/** A line whose stock is taken, with the product's identity and price at that moment. */
export interface ReservedLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export type StockProblemCode = 'OUT_OF_STOCK' | 'NOT_FOUND';

/** Why one line cannot be reserved. */
export interface StockProblem {
  productId: string;
  sku: string | null;
  code: StockProblemCode;
  /** Units in stock, for OUT_OF_STOCK. */
  available: number | null;
}

export interface StockReservation {
  reservationId: string;
  reserved: boolean;
  released: boolean;
  lines: ReservedLine[];
  problems: StockProblem[];
}

export interface StockRelease {
  reservationId: string;
  released: true;
}

/** The rules on reservation arguments; pure, so unit-tested on their own. */
export const stockRules = {
  /** The reservation id in PostgreSQL's canonical (lower-case) form; BAD_USER_INPUT unless a UUID. */
  reservationId(reservationId: string): string {
    if (!isUuid(reservationId)) throw badUserInput('reservationId must be a UUID.', 'reservationId');
    return reservationId.toLowerCase();
  },

  /**
   * Checks the lines and merges those for the same product, keeping the order of first appearance.
   * No lines, or a quantity under 1, is BAD_USER_INPUT. An id that is not a UUID stays a line of
   * its own: it names no product, which is a NOT_FOUND problem, not a malformed request.
   */
  mergeLines(lines: readonly StockLineRequest[]): StockLineRequest[] {
    if (lines.length === 0) throw badUserInput('lines must hold at least one line.', 'lines');
    const merged = new Map<string, number>();
    lines.forEach((line, index) => {
      if (!Number.isInteger(line.quantity) || line.quantity < 1) throw badUserInput(`lines.${index}.quantity must be at least 1.`, 'lines');
      const productId = isUuid(line.productId) ? line.productId.toLowerCase() : line.productId;
      merged.set(productId, (merged.get(productId) ?? 0) + line.quantity);
    });
    if (merged.size > MAX_RESERVATION_LINES) throw badUserInput(`lines may name at most ${MAX_RESERVATION_LINES} products.`, 'lines');
    return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
  },

  /** What keeps each line from being reserved, given the locked rows of the products it names. */
  problems(lines: readonly StockLineRequest[], productsById: ReadonlyMap<string, LockedProductRow>): StockProblem[] {
    const problems: StockProblem[] = [];
    for (const line of lines) {
      const product = productsById.get(line.productId);
      if (!product || product.status !== 'ACTIVE') {
        problems.push({ productId: line.productId, sku: product?.sku ?? null, code: 'NOT_FOUND', available: null });
      } else if (product.stock < line.quantity) {
        problems.push({ productId: line.productId, sku: product.sku, code: 'OUT_OF_STOCK', available: product.stock });
      }
    }
    return problems;
  },

  /** Whether a repeated request asks for exactly what the reservation recorded (order aside). */
  sameLines(requested: readonly StockLineRequest[], recorded: readonly StockLineRequest[]): boolean {
    if (requested.length !== recorded.length) return false;
    const recordedQuantities = new Map(recorded.map((line) => [line.productId, line.quantity]));
    return requested.every((line) => recordedQuantities.get(line.productId) === line.quantity);
  },
};

/**
 * Stock taken and given back for the orders service, all lines or none, under a reservation id the
 * caller chooses so that retries are safe. Each call is one transaction that first serialises on
 * the reservation id, then locks product rows in id order (so that concurrent reservations cannot
 * deadlock), and only then reads stock.
 */
export class StockService {
  constructor(private readonly db: ProductsDb) {}

  async reserve(reservationIdArgument: string, requestedLines: readonly StockLineRequest[]): Promise<StockReservation> {
    const reservationId = stockRules.reservationId(reservationIdArgument);
    const lines = stockRules.mergeLines(requestedLines);
    const answer = (fields: Partial<StockReservation>): StockReservation => ({ reservationId: reservationIdArgument, reserved: false, released: false, lines: [], problems: [], ...fields });

    return this.db.transaction(async (tx) => {
      const reservations = new StockReservationRepository(tx);
      await reservations.lockReservationId(reservationId);

      const existing = await reservations.findReservation(reservationId);
      if (existing?.status === 'RELEASED') return answer({ released: true });
      if (existing) {
        const recorded = await reservations.findLines(reservationId);
        if (!stockRules.sameLines(lines, recorded)) {
          throw badUserInput('This reservation id was already used for other lines.', 'reservationId');
        }
        return answer({ reserved: true, lines: recorded.map(reservedLine) });
      }

      const locked = await reservations.lockProducts(lines.map((line) => line.productId).filter(isUuid));
      const productsById = new Map(locked.map((product) => [product.id, product]));
      const problems = stockRules.problems(lines, productsById);
      if (problems.length > 0) return answer({ problems });

      const recorded = lines.map((line, position): NewStockReservationLine => {
        const product = productsById.get(line.productId)!;
        return { productId: product.id, position, sku: product.sku, name: product.name, quantity: line.quantity, unitPriceCents: product.priceCents };
      });
      await reservations.takeAndRecord(reservationId, recorded);
      return answer({ reserved: true, lines: recorded.map(reservedLine) });
    });
  }

  /**
   * Gives back a reservation's stock once, archived products included. An unknown id is recorded as
   * released, so that a reserve that arrives after its release takes nothing.
   */
  async release(reservationIdArgument: string): Promise<StockRelease> {
    const reservationId = stockRules.reservationId(reservationIdArgument);
    await this.db.transaction(async (tx) => {
      const reservations = new StockReservationRepository(tx);
      await reservations.lockReservationId(reservationId);

      const existing = await reservations.findReservation(reservationId);
      if (!existing) return reservations.insertTombstone(reservationId);
      if (existing.status === 'RELEASED') return;

      const lines = await reservations.findLines(reservationId);
      await reservations.lockProducts(lines.map((line) => line.productId));
      await reservations.moveStock(lines, 'give back');
      await reservations.markReleased(reservationId);
    });
    return { reservationId: reservationIdArgument, released: true };
  }
}

function reservedLine(line: NewStockReservationLine): ReservedLine {
  return { productId: line.productId, sku: line.sku, name: line.name, quantity: line.quantity, unitPriceCents: line.unitPriceCents };
}
