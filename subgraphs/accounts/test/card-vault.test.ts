import { describe, expect, it } from 'vitest';
import { validateCard } from '../src/services/card-rules.js';
import { TEST_CARD_TOKENS, testCardVault } from '../src/services/card-vault.js';

/** A card as the wallet hands it to the vault: validated first. */
function validCard(cardNumber: string, cvc = '731') {
  const { card, errors } = validateCard({ cardNumber, expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvc });
  expect(errors).toEqual([]);
  return card!;
}

describe('testCardVault', () => {
  it.each([
    ['4242424242424242', 'pm_card_visa'],
    ['4000000000000002', 'pm_card_chargeDeclined'],
    ['4000000000009995', 'pm_card_chargeDeclinedInsufficientFunds'],
  ])('tokenizes the test number %s as %s, every time', async (number, token) => {
    expect(TEST_CARD_TOKENS[number]).toBe(token);
    expect(await testCardVault.tokenize(validCard(number))).toBe(token);
    expect(await testCardVault.tokenize(validCard(number, '902'))).toBe(token);
  });

  it('recognises a test number typed with spaces (it sees the normalised number)', async () => {
    expect(await testCardVault.tokenize(validCard('4000 0000 0000 0002'))).toBe('pm_card_chargeDeclined');
  });

  it('gives any other card a fresh pm_test_ token, different each time, that does not hold the number', async () => {
    const numbers = ['5555555555554444', '378282246310005', '6011111111111117', '4000056655665556', '5555555555554444'];
    const tokens = await Promise.all(numbers.map((number) => testCardVault.tokenize(validCard(number, number.startsWith('37') ? '8402' : '731'))));
    for (const [index, token] of tokens.entries()) {
      expect(token).toMatch(/^pm_test_[\w-]+$/);
      expect(token).not.toContain(numbers[index]);
      expect(Object.values(TEST_CARD_TOKENS)).not.toContain(token);
    }
    // Distinct even for the same number saved twice.
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});
