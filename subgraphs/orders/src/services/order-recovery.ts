import type { Logger } from '@greencart/platform';
import type { StockClient } from '../clients/stock-client.js';
import type { OrdersDb } from '../db/database.js';
import { OrderRepository } from '../db/order-repository.js';

/** A PLACING claim older than this belongs to a request that died (placing takes well under a second). */
export const ABANDONED_AFTER_SECONDS = 60;

/**
 * Puts right what a crash (or an unreachable products subgraph) left half done: claims of orders
 * that were never completed have their stock released and are deleted; cancelled orders whose
 * stock was not given back get it back. Every step is idempotent, so the sweep can run anywhere,
 * any number of times.
 */
export class OrderRecovery {
  private readonly orders: OrderRepository;

  constructor(
    db: OrdersDb,
    private readonly stock: StockClient,
    private readonly logger: Logger,
  ) {
    this.orders = new OrderRepository(db);
  }

  /** One sweep; answers how many orders it put right. */
  async sweep(abandonedAfterSeconds = ABANDONED_AFTER_SECONDS): Promise<number> {
    let repaired = 0;
    const claims = await this.orders.abandonedClaims(abandonedAfterSeconds);
    // Every process sweeps: which ones found a claim, and which one deleted it, is worth a line each.
    if (claims.length > 0) this.logger.warn('found orders that were never completed', { orderIds: claims.map((claim) => claim.id) });
    for (const claim of claims) {
      await this.stock.release(claim.stockReservationId);
      if (await this.orders.deleteClaim(claim.id)) {
        this.logger.warn('released the stock of an order that was never completed', { orderId: claim.id, reservationId: claim.stockReservationId });
        repaired++;
      } else {
        this.logger.info('an order that was never completed was put right by another sweep', { orderId: claim.id });
      }
    }
    for (const order of await this.orders.cancelledWithStockHeld()) {
      await this.stock.release(order.stockReservationId);
      await this.orders.markStockReleased(order.id);
      repaired++;
    }
    return repaired;
  }

  /** Sweeps every `intervalSeconds` until stopped; a failed sweep is logged and tried again next time. */
  start(intervalSeconds: number): () => void {
    const timer = setInterval(() => {
      this.sweep().catch((error) => this.logger.error('order recovery sweep failed', { error: String(error) }));
    }, intervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }
}
