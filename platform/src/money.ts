/** Money is kept as integer cents everywhere; these are the only conversions to and from text. */

export const STORE_CURRENCY = 'USD' as const;
export type CurrencyCode = typeof STORE_CURRENCY;

export interface Money {
  amount: string;
  currencyCode: CurrencyCode;
}

const DECIMAL = /^(\d+)(?:\.(\d{1,2}))?$/;
/** Upper bound for one amount (below 2^53 cents, so sums of many stay exact in JS numbers too). */
export const MAX_AMOUNT_CENTS = 100_000_000_00;

/** Parses a decimal string such as "19.99" into cents; undefined when it is not a valid amount. */
export function parseDecimalToCents(text: string): number | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(cents) && cents <= MAX_AMOUNT_CENTS ? cents : undefined;
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
