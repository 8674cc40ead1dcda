import { describe, expect, it } from 'vitest';
import { detectBrand, passesLuhn, validateCard, type CardInput } from '../src/services/card-rules.js';

// Checks run "as of" mid-June 2030 (UTC), so expiry rules do not drift with the calendar.
const NOW = new Date(Date.UTC(2030, 5, 15, 12));
const YEAR = 2030;
const MONTH = 6;

const visa: CardInput = { cardNumber: '4242424242424242', expMonth: 12, expYear: YEAR + 2, cvc: '731' };
const amex: CardInput = { cardNumber: '378282246310005', expMonth: 12, expYear: YEAR + 2, cvc: '8402' };
const invalid = (field: string) => ({ code: 'INVALID_INPUT', field, message: expect.any(String) });

describe('passesLuhn', () => {
  it.each(['4242424242424242', '4000056655665556', '5555555555554444', '2223003122003222', '378282246310005', '6011111111111117', '3566002020360505', '36227206271667', '79927398713'])(
    'accepts %s',
    (digits) => {
      expect(passesLuhn(digits)).toBe(true);
    },
  );

  it.each(['4242424242424241', '4242424242424243', '5555555555554445', '378282246310006', '79927398710', '1234567812345678'])('refuses %s', (digits) => {
    expect(passesLuhn(digits)).toBe(false);
  });

  it('catches two adjacent digits swapped', () => {
    // 42 → 24 in the middle of a valid number changes the doubled positions.
    expect(passesLuhn('4242424224424242')).toBe(false);
  });
});

describe('detectBrand', () => {
  it.each([
    ['4242424242424242', 'VISA'],
    ['4000056655665556', 'VISA'],
    ['5555555555554444', 'MASTERCARD'],
    ['2223003122003222', 'MASTERCARD'],
    ['378282246310005', 'AMEX'],
    ['371449635398431', 'AMEX'],
    ['6011111111111117', 'DISCOVER'],
    ['6011000990139424', 'DISCOVER'],
    ['3566002020360505', 'OTHER'],
    ['36227206271667', 'OTHER'],
  ] as const)('%s is %s', (digits, brand) => {
    expect(detectBrand(digits)).toBe(brand);
  });
});

describe('validateCard', () => {
  it('accepts a valid card and keeps its brand, last four digits and expiry', () => {
    const { card, errors } = validateCard(visa, NOW);
    expect(errors).toEqual([]);
    expect(card).toMatchObject({ number: '4242424242424242', brand: 'VISA', last4: '4242', expMonth: 12, expYear: YEAR + 2 });
  });

  it.each([
    ['5555555555554444', 'MASTERCARD', '4444'],
    ['2223003122003222', 'MASTERCARD', '3222'],
    ['6011111111111117', 'DISCOVER', '1117'],
    ['3566002020360505', 'OTHER', '0505'],
    ['36227206271667', 'OTHER', '1667'],
  ] as const)('accepts %s as %s ending in %s', (cardNumber, brand, last4) => {
    const { card, errors } = validateCard({ ...visa, cardNumber }, NOW);
    expect(errors).toEqual([]);
    expect(card).toMatchObject({ brand, last4 });
  });

  it('accepts an American Express card with a four-digit CVC', () => {
    const { card, errors } = validateCard(amex, NOW);
    expect(errors).toEqual([]);
    expect(card).toMatchObject({ number: '378282246310005', brand: 'AMEX', last4: '0005' });
  });

  it.each(['4242 4242 4242 4242', '4242-4242-4242-4242', ' 4242 4242-4242 4242 '])('ignores spaces and dashes in %j', (cardNumber) => {
    const { card, errors } = validateCard({ ...visa, cardNumber }, NOW);
    expect(errors).toEqual([]);
    expect(card).toMatchObject({ number: '4242424242424242', brand: 'VISA', last4: '4242' });
  });

  describe('card number', () => {
    it.each([
      ['fails the Luhn check', '4242424242424241'],
      ['holds letters', '4242abcd42424242'],
      ['holds other punctuation', '4242.4242.4242.4242'],
      ['is empty', ''],
      // Both pass the Luhn check: only their length is wrong.
      ['is 11 digits', '79927398713'],
      ['is 20 digits', '42424242424242424242'],
    ])('is refused when it %s', (_, cardNumber) => {
      expect(validateCard({ ...visa, cardNumber }, NOW)).toEqual({ errors: [invalid('cardNumber')] });
    });

    it('is refused for its length alone: the 11- and 20-digit numbers above pass the Luhn check', () => {
      expect(passesLuhn('79927398713')).toBe(true);
      expect(passesLuhn('42424242424242424242')).toBe(true);
    });

    it('accepts 12 and 19 digits', () => {
      // 12-digit and 19-digit numbers that pass the Luhn check.
      expect(passesLuhn('424242424242')).toBe(true);
      expect(passesLuhn('4242424242424242428')).toBe(true);
      expect(validateCard({ ...visa, cardNumber: '424242424242' }, NOW).errors).toEqual([]);
      expect(validateCard({ ...visa, cardNumber: '4242424242424242428' }, NOW).errors).toEqual([]);
    });
  });

  describe('expiry', () => {
    it.each([0, 13, -1])('refuses month %i on "expMonth"', (expMonth) => {
      expect(validateCard({ ...visa, expMonth }, NOW)).toEqual({ errors: [invalid('expMonth')] });
    });

    it.each([
      ['a two-digit year', 32],
      ['a year in the past', YEAR - 1],
      ['a year more than 20 years ahead', YEAR + 21],
      ['a five-digit year', 20321],
    ])('refuses %s on "expYear"', (_, expYear) => {
      expect(validateCard({ ...visa, expYear }, NOW)).toEqual({ errors: [invalid('expYear')] });
    });

    it('accepts a year up to 20 years ahead', () => {
      expect(validateCard({ ...visa, expYear: YEAR + 20 }, NOW).errors).toEqual([]);
    });

    it('refuses a month already over this year, on "expMonth"', () => {
      expect(validateCard({ ...visa, expMonth: MONTH - 1, expYear: YEAR }, NOW)).toEqual({ errors: [invalid('expMonth')] });
      expect(validateCard({ ...visa, expMonth: 1, expYear: YEAR }, NOW)).toEqual({ errors: [invalid('expMonth')] });
    });

    it('accepts the current month (a card is good through its expiry month) and later ones', () => {
      expect(validateCard({ ...visa, expMonth: MONTH, expYear: YEAR }, NOW).errors).toEqual([]);
      expect(validateCard({ ...visa, expMonth: MONTH + 1, expYear: YEAR }, NOW).errors).toEqual([]);
      // Earlier months of next year have not passed yet.
      expect(validateCard({ ...visa, expMonth: 1, expYear: YEAR + 1 }, NOW).errors).toEqual([]);
    });

    it('judges by the given moment in UTC', () => {
      const card = { ...visa, expMonth: 6, expYear: 2030 };
      expect(validateCard(card, new Date(Date.UTC(2030, 5, 30, 23, 59))).errors).toEqual([]);
      expect(validateCard(card, new Date(Date.UTC(2030, 6, 1, 0, 0))).errors).toEqual([invalid('expMonth')]);
    });

    it('uses the real clock when no moment is given', () => {
      const thisYear = new Date().getUTCFullYear();
      expect(validateCard({ ...visa, expMonth: 12, expYear: thisYear + 1 }).errors).toEqual([]);
      expect(validateCard({ ...visa, expMonth: 12, expYear: thisYear - 1 }).errors).toEqual([invalid('expYear')]);
    });
  });

  describe('CVC', () => {
    it.each([
      ['2 digits', '73'],
      ['4 digits on a non-Amex card', '7310'],
      ['letters', '7a1'],
      ['empty', ''],
      ['spaces around it', ' 731'],
    ])('refuses %s on "cvc"', (_, cvc) => {
      expect(validateCard({ ...visa, cvc }, NOW)).toEqual({ errors: [invalid('cvc')] });
    });

    it('needs 4 digits on an American Express card', () => {
      expect(validateCard({ ...amex, cvc: '840' }, NOW)).toEqual({ errors: [invalid('cvc')] });
      expect(validateCard({ ...amex, cvc: '84021' }, NOW)).toEqual({ errors: [invalid('cvc')] });
      expect(validateCard({ ...amex, cvc: '8402' }, NOW).errors).toEqual([]);
    });

    it('is 3 digits on every other brand', () => {
      for (const cardNumber of ['5555555555554444', '6011111111111117', '3566002020360505']) {
        expect(validateCard({ ...visa, cardNumber, cvc: '731' }, NOW).errors).toEqual([]);
        expect(validateCard({ ...visa, cardNumber, cvc: '8402' }, NOW).errors).toEqual([invalid('cvc')]);
      }
    });
  });

  it('reports every problem at once, in input order', () => {
    const { card, errors } = validateCard({ cardNumber: '4242424242424241', expMonth: 13, expYear: 30, cvc: '1' }, NOW);
    expect(card).toBeUndefined();
    expect(errors.map((error) => error.field)).toEqual(['cardNumber', 'expMonth', 'expYear', 'cvc']);
    for (const error of errors) expect(error.code).toBe('INVALID_INPUT');
  });

  it('never repeats the number or the CVC in a message', () => {
    const attempts: CardInput[] = [
      { cardNumber: '4242424242424241', expMonth: 12, expYear: YEAR + 1, cvc: '73' },
      { cardNumber: '4242424242424242', expMonth: 1, expYear: YEAR, cvc: '7310' },
      { cardNumber: '378282246310005', expMonth: 12, expYear: YEAR + 1, cvc: '731' },
    ];
    for (const attempt of attempts) {
      const { errors } = validateCard(attempt, NOW);
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error.message).not.toContain(attempt.cardNumber);
        expect(error.message).not.toContain(attempt.cvc);
      }
    }
  });
});
