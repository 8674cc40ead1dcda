/**
 * Failure points in orders, for tests only: production code is never given an injector
 * (`startOrdersService` refuses one when NODE_ENV is production).
 */
export type FaultPoint =
  /** Placing an order: stock is reserved; the order is not written yet. */
  | 'afterReserve'
  /** Placing an order: inside the transaction that writes the order, after its lines are inserted. */
  | 'beforeCommit'
  /** Before `Product.boughtTogether` is read (a test holds it to show a slow deferred fragment). */
  | 'beforeBoughtTogether';

export interface FaultInjector {
  /** Throws to make the work fail at this point, or waits to make it slow. */
  at(point: FaultPoint): Promise<void>;
}

/**
 * A crash of the process: the request stops where it is, without compensating, as it would if
 * the process died. What it leaves behind is for the recovery sweep to put right.
 */
export class SimulatedCrash extends Error {}
