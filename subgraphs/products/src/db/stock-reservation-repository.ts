import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from './database.js';
import { products, stockReservationLines, stockReservations, type StockReservationLineRow, type StockReservationRow } from './schema.js';

/** A product row as locked for a stock movement: what a reservation needs to judge and record a line. */
export interface LockedProductRow {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
  status: 'ACTIVE' | 'ARCHIVED';
}

/** A change of one product's stock by `quantity` units. */
export interface StockMovement {
  productId: string;
  quantity: number;
}

export type NewStockReservationLine = Omit<StockReservationLineRow, 'reservationId'>;

/**
 * Stock reservation SQL. Every method is meant to run inside one transaction that first called
 * `lockReservationId`; methods return plain rows.
 */
export class StockReservationRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Serialises transactions on one reservation id until this transaction ends, so that racing calls
   * with the same id apply one after the other (two ids that hash alike merely wait for each other).
   */
  async lockReservationId(reservationId: string): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`stock-reservation:${reservationId}`}, 0))`);
  }

  async findReservation(reservationId: string): Promise<StockReservationRow | undefined> {
    const [row] = await this.db.select().from(stockReservations).where(eq(stockReservations.id, reservationId));
    return row;
  }

  /** The lines of a reservation, in the order they were requested. */
  async findLines(reservationId: string): Promise<StockReservationLineRow[]> {
    return this.db.select().from(stockReservationLines).where(eq(stockReservationLines.reservationId, reservationId)).orderBy(asc(stockReservationLines.position));
  }

  /**
   * Locks these products' rows, archived ones included, always in id order: two transactions that
   * lock overlapping sets then wait for each other instead of deadlocking.
   */
  async lockProducts(productIds: readonly string[]): Promise<LockedProductRow[]> {
    if (productIds.length === 0) return [];
    return this.db
      .select({ id: products.id, sku: products.sku, name: products.name, priceCents: products.priceCents, stock: products.stock, status: products.status })
      .from(products)
      .where(sql`${products.id} = any(${uuidArray(productIds)})`)
      .orderBy(asc(products.id))
      .for('update');
  }

  /** Takes or gives back each movement's units in one statement; a CHECK keeps stock from going below zero. */
  async moveStock(movements: readonly StockMovement[], direction: 'take' | 'give back'): Promise<void> {
    if (movements.length === 0) return;
    const sign = direction === 'take' ? -1 : 1;
    const values = sql.join(
      movements.map((movement) => sql`(${movement.productId}::uuid, ${sign * movement.quantity}::int)`),
      sql`, `,
    );
    await this.db.execute(sql`
      update ${products} set stock = ${products.stock} + movement.delta, updated_at = now()
      from (values ${values}) as movement(product_id, delta)
      where ${products.id} = movement.product_id`);
  }

  /**
   * Takes each line's units and records the reservation with its lines, in one statement: the rows
   * `lockProducts` locked stay locked until commit, so every round trip saved here is time a
   * concurrent order of the same product no longer waits.
   */
  async takeAndRecord(reservationId: string, lines: readonly NewStockReservationLine[]): Promise<void> {
    if (lines.length === 0) {
      await this.db.insert(stockReservations).values({ id: reservationId, status: 'RESERVED' });
      return;
    }
    const values = sql.join(
      lines.map((line) => sql`(${line.productId}::uuid, ${line.position}::int, ${line.sku}::text, ${line.name}::text, ${line.quantity}::int, ${line.unitPriceCents}::bigint)`),
      sql`, `,
    );
    // The lines' foreign key to the reservation is checked at the end of the statement, when the reservation row exists.
    await this.db.execute(sql`
      with line(product_id, position, sku, name, quantity, unit_price_cents) as (values ${values}),
      taken as (
        update ${products} set stock = ${products.stock} - line.quantity, updated_at = now()
        from line where ${products.id} = line.product_id
      ),
      reservation as (
        insert into ${stockReservations} (id, status) values (${reservationId}::uuid, 'RESERVED')
      )
      insert into ${stockReservationLines} (reservation_id, product_id, position, sku, name, quantity, unit_price_cents)
      select ${reservationId}::uuid, product_id, position, sku, name, quantity, unit_price_cents from line`);
  }

  /** Records that a reservation id was released before it was ever reserved. */
  async insertTombstone(reservationId: string): Promise<void> {
    await this.db.insert(stockReservations).values({ id: reservationId, status: 'RELEASED', releasedAt: sql`now()` });
  }

  async markReleased(reservationId: string): Promise<void> {
    await this.db
      .update(stockReservations)
      .set({ status: 'RELEASED', releasedAt: sql`now()` })
      .where(eq(stockReservations.id, reservationId));
  }
}

/** A uuid[] parameter built from single values (drizzle would spread a plain array into a list). */
function uuidArray(ids: readonly string[]) {
  return sql`array[${sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )}]::uuid[]`;
}
