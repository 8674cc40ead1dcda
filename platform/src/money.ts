/** Money is kept as integer cents everywhere; these are the only conversions to and from text. */

export const STORE_CURRENCY = 'USD' as const;
export type CurrencyCode = typeof STORE_CURRENCY;

export interface Money {
  amount: string;
  currencyCode: CurrencyCode;
}

const DECIMAL = /^(\d+)(?:\.(\d{1,2}))?$/;
const NEGATIVE_DECIMAL = /^-\d+(?:\.\d+)?$/;
const OVERLY_PRECISE_DECIMAL = /^\d+\.\d{3,}$/;
/** Upper bound for one amount (below 2^53 cents, so sums of many stay exact in JS numbers too). */
export const MAX_AMOUNT_CENTS = 100_000_000_00;

/** Why a decimal string is not an amount: so that a refusal can say what to change. */
export type AmountProblem = 'MALFORMED' | 'NEGATIVE' | 'TOO_PRECISE' | 'TOO_LARGE';

/** Reads a decimal string such as "19.99" (spaces around it ignored) as cents, or says what is wrong with it. */
export function readAmount(text: string): { cents: number; problem?: undefined } | { cents?: undefined; problem: AmountProblem } {
  const trimmed = text.trim();
  const match = DECIMAL.exec(trimmed);
  if (!match) {
    if (NEGATIVE_DECIMAL.test(trimmed)) return { problem: 'NEGATIVE' };
    if (OVERLY_PRECISE_DECIMAL.test(trimmed)) return { problem: 'TOO_PRECISE' };
    return { problem: 'MALFORMED' };
  }
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(cents) && cents <= MAX_AMOUNT_CENTS ? { cents } : { problem: 'TOO_LARGE' };
}

/** Parses a decimal string such as "19.99" into cents; undefined when it is not a valid amount. */
export function parseDecimalToCents(text: string): number | undefined {
  return readAmount(text).cents;
}

/** What a client is told about an amount it gave, `label` first ("Price must be at most 100000000.00."). */
export function amountProblemMessage(label: string, problem: AmountProblem): string {
  switch (problem) {
    case 'NEGATIVE':
      return `${label} must not be negative.`;
    case 'TOO_PRECISE':
      return `${label} must have at most two decimal places.`;
    case 'TOO_LARGE':
      return `${label} must be at most ${formatCents(MAX_AMOUNT_CENTS)}.`;
    case 'MALFORMED':
      return `${label} must be a decimal amount such as "19.99".`;
  }
}

/** Formats cents as a decimal string with exactly two fraction digits: 150000 → "1500.00". */
export function formatCents(cents: number | bigint): string {
  const value = BigInt(cents);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}

export function money(cents: number | bigint): Money {
  return { amount: formatCents(cents), currencyCode: STORE_CURRENCY };
}
