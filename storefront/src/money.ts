/** An amount as the API gives it: a decimal string and its currency. */
export interface MoneyValue {
  amount: string;
  currencyCode: string;
}

/**
 * "$3.20" for `{ amount: "3.20", currencyCode: "USD" }`. Intl formats the decimal string as
 * written (no conversion to a binary float), so what the API says is what the shopper reads.
 */
export function formatMoney({ amount, currencyCode }: MoneyValue): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currencyCode }).format(amount as `${number}`);
}
