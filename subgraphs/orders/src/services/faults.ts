/**
 * Failure points in placing an order, for tests only: production code is never given an injector
 * (`startOrdersService` refuses one when NODE_ENV is production).
 */
export type FaultPoint =
  /** Stock is reserved; the order is not written yet. */
  | 'afterReserve'
  /** Inside the transaction that writes the order, after its lines are inserted. */
  | 'beforeCommit';

export interface FaultInjector {
  /** Throws to make placing fail at this point. */
  at(point: FaultPoint): Promise<void>;
}

/**
 * A crash of the process: the request stops where it is, without compensating, as it would if
 * the process died. What it leaves behind is for the recovery sweep to put right.
 */
export class SimulatedCrash extends Error {}
