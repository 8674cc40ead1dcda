import { formatMoney, type MoneyValue } from '../money';

/** A price as the API gives it; "—" while the catalogue cannot be reached. */
export function Price({ money, className }: { money: MoneyValue | null | undefined; className?: string }) {
  return <span className={className ?? 'price'}>{money ? formatMoney(money) : '—'}</span>;
}
