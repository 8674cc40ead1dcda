import { passesLuhn, UserErrorCode, userError, type UserError } from '@greencart/platform';

/** Card checks: pure, so unit-tested on their own. The number and CVC go no further than here and the vault. */

export type CardBrand = 'VISA' | 'MASTERCARD' | 'AMEX' | 'DISCOVER' | 'OTHER';

export interface CardInput {
  cardNumber: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface ValidCard {
  number: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

/** Cards are accepted for this many years ahead; issuers do not print later dates. */
const MAX_YEARS_AHEAD = 20;

/** The Luhn check (platform's, which log redaction uses too), re-exported for the card rules' tests. */
export { passesLuhn };

/** The card network, from the number's issuer prefix and length. */
export function detectBrand(digits: string): CardBrand {
  const prefix = (length: number) => Number(digits.slice(0, length));
  const length = digits.length;
  if (digits.startsWith('4') && [13, 16, 19].includes(length)) return 'VISA';
  if (length === 16 && ((prefix(2) >= 51 && prefix(2) <= 55) || (prefix(4) >= 2221 && prefix(4) <= 2720))) return 'MASTERCARD';
  if (length === 15 && (prefix(2) === 34 || prefix(2) === 37)) return 'AMEX';
  if (length >= 16 && length <= 19 && (prefix(4) === 6011 || prefix(2) === 65 || (prefix(3) >= 644 && prefix(3) <= 649) || (prefix(6) >= 622126 && prefix(6) <= 622925))) {
    return 'DISCOVER';
  }
  return 'OTHER';
}

/** Checks a card as of `now` (month precision, in UTC); every problem at once. */
export function validateCard(input: CardInput, now: Date = new Date()): { card?: ValidCard; errors: UserError[] } {
  const errors: UserError[] = [];
  const number = input.cardNumber.replace(/[\s-]/g, '');
  const numberValid = /^\d{12,19}$/.test(number) && passesLuhn(number);
  if (!numberValid) errors.push(userError(UserErrorCode.INVALID_INPUT, 'The card number is not valid.', 'cardNumber'));

  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  const monthValid = Number.isInteger(input.expMonth) && input.expMonth >= 1 && input.expMonth <= 12;
  if (!monthValid) errors.push(userError(UserErrorCode.INVALID_INPUT, 'The expiry month must be 1 to 12.', 'expMonth'));
  if (!Number.isInteger(input.expYear) || input.expYear < year || input.expYear > year + MAX_YEARS_AHEAD) {
    const message = input.expYear < year && input.expYear >= 1000 ? 'The card has expired.' : `The expiry year must be a four-digit year up to ${year + MAX_YEARS_AHEAD}.`;
    errors.push(userError(UserErrorCode.INVALID_INPUT, message, 'expYear'));
  } else if (monthValid && input.expYear === year && input.expMonth < month) {
    errors.push(userError(UserErrorCode.INVALID_INPUT, 'The card has expired.', 'expMonth'));
  }

  const brand = numberValid ? detectBrand(number) : 'OTHER';
  const cvcLength = brand === 'AMEX' ? 4 : 3;
  if (!new RegExp(`^\\d{${cvcLength}}$`).test(input.cvc)) {
    errors.push(userError(UserErrorCode.INVALID_INPUT, `The security code must be ${cvcLength} digits.`, 'cvc'));
  }
  if (errors.length > 0) return { errors };
  return { card: { number, brand, last4: number.slice(-4), expMonth: input.expMonth, expYear: input.expYear, cvc: input.cvc }, errors };
}
