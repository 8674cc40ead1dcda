import { describe, expect, it } from 'vitest';
import { createTestPaymentProcessor } from '../src/services/payment-processor.js';

/** A charge request for the test processor, varying only what a test cares about. */
const charge = (processorToken: string, idempotencyKey: string, amountCents = 1_398) => ({
  idempotencyKey,
  processorToken,
  amountCents,
  currency: 'USD' as const,
  description: 'GreenCart order GC-100001',
});

describe('the test payment processor', () => {
  it.each([
    ['pm_card_visa', { succeeded: true, reference: expect.stringMatching(/^ch_test_/) }],
    ['pm_test_9b2f0c1e-4a1d-4f7e-8a55-0f3c2d1e6b7a', { succeeded: true, reference: expect.stringMatching(/^ch_test_/) }],
    ['pm_card_chargeDeclined', { succeeded: false, failureReason: 'card_declined' }],
    ['pm_card_chargeDeclinedInsufficientFunds', { succeeded: false, failureReason: 'insufficient_funds' }],
  ])("charges the token %s with the test cards' outcome", async (token, outcome) => {
    const processor = createTestPaymentProcessor();
    expect(await processor.charge(charge(token, `key-${token}`))).toEqual(outcome);
  });

  it('answers a repeated idempotency key with the first outcome and reference, whatever the request', async () => {
    const processor = createTestPaymentProcessor();
    const first = await processor.charge(charge('pm_card_visa', 'order-1-charge-1'));
    expect(first.succeeded).toBe(true);

    expect(await processor.charge(charge('pm_card_visa', 'order-1-charge-1'))).toEqual(first);
    // A processor answers a replayed key from memory; it does not charge again.
    expect(await processor.charge(charge('pm_card_chargeDeclined', 'order-1-charge-1', 5))).toEqual(first);

    const declined = await processor.charge(charge('pm_card_chargeDeclined', 'order-2-charge-1'));
    expect(declined).toEqual({ succeeded: false, failureReason: 'card_declined' });
    expect(await processor.charge(charge('pm_card_visa', 'order-2-charge-1'))).toEqual(declined);
  });

  it('gives each new idempotency key its own charge reference', async () => {
    const processor = createTestPaymentProcessor();
    const outcomes = await Promise.all(['a', 'b', 'c', 'd'].map((key) => processor.charge(charge('pm_card_visa', key))));
    const references = outcomes.map((outcome) => (outcome.succeeded ? outcome.reference : null));
    expect(references.every((reference) => reference?.startsWith('ch_test_'))).toBe(true);
    expect(new Set(references).size).toBe(4);
  });

  it('refunds once per idempotency key, with its own reference', async () => {
    const processor = createTestPaymentProcessor();
    const paid = await processor.charge(charge('pm_card_visa', 'order-1-charge-1'));
    if (!paid.succeeded) throw new Error('the visa test token must succeed');

    const refund = await processor.refund({ idempotencyKey: 'order-1-refund', chargeReference: paid.reference, amountCents: 1_398 });
    expect(refund).toEqual({ succeeded: true, reference: expect.stringMatching(/^re_test_/) });
    expect(await processor.refund({ idempotencyKey: 'order-1-refund', chargeReference: paid.reference, amountCents: 1_398 })).toEqual(refund);

    const other = await processor.refund({ idempotencyKey: 'order-2-refund', chargeReference: paid.reference, amountCents: 100 });
    expect(other.succeeded && refund.succeeded && other.reference !== refund.reference).toBe(true);
  });

  it('keeps idempotency keys per processor instance', async () => {
    const [one, two] = [createTestPaymentProcessor(), createTestPaymentProcessor()];
    const a = await one.charge(charge('pm_card_visa', 'same-key'));
    const b = await two.charge(charge('pm_card_visa', 'same-key'));
    expect(a.succeeded && b.succeeded && a.reference !== b.reference).toBe(true);
  });
});
