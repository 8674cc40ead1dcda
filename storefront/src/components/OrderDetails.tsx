import { Link } from 'react-router';
import { getFragmentData, type FragmentType } from '../generated';
import { OrderDetailsFragmentDoc } from '../generated/graphql';
import { describeAddress } from './AddressFields';
import { Price } from './Price';

const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });

/** Why a payment failed, in words, from the API's `failureReason`. */
const FAILURE_REASONS: Record<string, string> = { card_declined: 'card declined', insufficient_funds: 'insufficient funds' };

/** An order's lines, totals, address and payments, as the API reports them. */
export function OrderDetails({ order: masked }: { order: FragmentType<typeof OrderDetailsFragmentDoc> }) {
  const order = getFragmentData(OrderDetailsFragmentDoc, masked);
  return (
    <div className="two-columns">
      <div>
        <table className="order-table">
          <caption className="visually-hidden">Items</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col" className="number">
                Quantity
              </th>
              <th scope="col" className="number">
                Price
              </th>
              <th scope="col" className="number">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((item) => (
              <tr key={item.id}>
                <td>{item.product ? <Link to={`/products/${item.product.id}`}>{item.name}</Link> : item.name}</td>
                <td className="number">{item.quantity}</td>
                <td className="number">
                  <Price money={item.unitPrice} />
                </td>
                <td className="number">
                  <Price money={item.lineTotal} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {order.transactions.length > 0 && (
          <section className="product-section" aria-label="Payments">
            <h2>Payments</h2>
            <ul className="line-list">
              {order.transactions.map((transaction) => (
                <li key={transaction.id} className="panel">
                  {transaction.kind === 'REFUND' ? 'Refund' : 'Charge'} of <Price money={transaction.amount} />:{' '}
                  {transaction.status === 'SUCCEEDED' ? 'succeeded' : `failed${transaction.failureReason ? ` (${FAILURE_REASONS[transaction.failureReason] ?? transaction.failureReason})` : ''}`}
                  <span className="muted small"> · {dateTime.format(new Date(transaction.createdAt))}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
      <aside className="panel summary" aria-label="Order summary">
        <h2>Summary</h2>
        <dl>
          <div className="summary__row">
            <dt>Placed</dt>
            <dd>
              <time dateTime={order.createdAt}>{dateTime.format(new Date(order.createdAt))}</time>
            </dd>
          </div>
          <div className="summary__row">
            <dt>Subtotal</dt>
            <dd>
              <Price money={order.subtotal} />
            </dd>
          </div>
          <div className="summary__row summary__row--total">
            <dt>Total</dt>
            <dd>
              <Price money={order.total} />
            </dd>
          </div>
        </dl>
        {order.shippingAddress && (
          <>
            <h3>Shipping to</h3>
            <p>{describeAddress(order.shippingAddress)}</p>
          </>
        )}
      </aside>
    </div>
  );
}
