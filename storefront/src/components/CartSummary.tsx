import type { ReactNode } from 'react';
import type { MoneyValue } from '../money';
import { Price } from './Price';

/** Items and subtotal as the API computed them; `children` is the next step (a checkout link, the payment form). */
export function CartSummary({ totalQuantity, subtotal, children }: { totalQuantity: number; subtotal: MoneyValue | null; children?: ReactNode }) {
  return (
    <aside className="panel summary" aria-label="Order summary">
      <h2>Summary</h2>
      <dl>
        <div className="summary__row">
          <dt>Items</dt>
          <dd>{totalQuantity}</dd>
        </div>
        <div className="summary__row summary__row--total">
          <dt>Subtotal</dt>
          <dd>
            <Price money={subtotal} />
          </dd>
        </div>
      </dl>
      {children}
    </aside>
  );
}
