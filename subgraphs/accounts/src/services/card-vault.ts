import { randomUUID } from 'node:crypto';
import type { ValidCard } from './card-rules.js';

/**
 * Where card numbers go instead of our database: a payment processor's vault, which answers with
 * an opaque token that can be charged later. A real processor (Stripe's PaymentMethods, say) takes
 * this interface's place without touching the wallet's rules.
 */
export interface CardVault {
  /** Stores the card with the processor and returns its token. */
  tokenize(card: ValidCard): Promise<string>;
}

/**
 * The well-known test numbers map to fixed tokens, so that the orders subgraph's test processor
 * can decide a charge's outcome from the token alone (the names follow Stripe's test methods).
 */
export const TEST_CARD_TOKENS: Readonly<Record<string, string>> = {
  '4242424242424242': 'pm_card_visa',
  '4000000000000002': 'pm_card_chargeDeclined',
  '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
};

/** The built-in test vault: fixed tokens for the test numbers, a fresh one for any other card. */
export const testCardVault: CardVault = {
  async tokenize(card) {
    return TEST_CARD_TOKENS[card.number] ?? `pm_test_${randomUUID()}`;
  },
};
