import { randomUUID } from 'node:crypto';

export type PaymentOutcome = { succeeded: true; reference: string } | { succeeded: false; failureReason: string };

/**
 * What orders needs from a payment processor. The orders rules (who may pay, state changes,
 * transactions, invoices) only ever talk to this interface, so a real processor — Stripe's
 * PaymentIntents (`confirm: true` with the saved payment method, the idempotency key as Stripe's
 * Idempotency-Key header) and Refunds — replaces the test one by implementing these two methods.
 */
export interface PaymentProcessor {
  /** Charges a saved card (by the token accounts stored). The same idempotency key never charges twice. */
  charge(request: { idempotencyKey: string; processorToken: string; amountCents: number; currency: 'USD'; description: string }): Promise<PaymentOutcome>;
  /** Refunds (part of) a charge. The same idempotency key never refunds twice. */
  refund(request: { idempotencyKey: string; chargeReference: string; amountCents: number }): Promise<PaymentOutcome>;
}

/** The test cards' tokens (see accounts' card vault) and what charging them does. */
const DECLINES: Readonly<Record<string, string>> = {
  pm_card_chargeDeclined: 'card_declined',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
};

/**
 * The built-in test processor: follows the usual test cards (declined tokens fail with their
 * reason, any other token succeeds) and remembers idempotency keys like a real processor.
 */
export function createTestPaymentProcessor(): PaymentProcessor {
  const answered = new Map<string, PaymentOutcome>();
  const once = (key: string, decide: () => PaymentOutcome): PaymentOutcome => {
    const earlier = answered.get(key);
    if (earlier) return earlier;
    const outcome = decide();
    answered.set(key, outcome);
    return outcome;
  };
  return {
    async charge(request) {
      return once(request.idempotencyKey, () => {
        const failureReason = DECLINES[request.processorToken];
        return failureReason ? { succeeded: false, failureReason } : { succeeded: true, reference: `ch_test_${randomUUID()}` };
      });
    },
    async refund(request) {
      return once(request.idempotencyKey, () => ({ succeeded: true, reference: `re_test_${randomUUID()}` }));
    },
  };
}
