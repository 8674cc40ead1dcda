import { useQuery } from '@apollo/client/react';
import { Link, Navigate } from 'react-router';
import { useAuth } from '../auth';
import { OrderStatus } from '../components/OrderStatus';
import { Price } from '../components/Price';
import { Empty, ErrorState, Loading } from '../components/States';
import { OrderListDocument } from '../generated/graphql';
import { usePageTitle } from '../page-title';

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });

function Orders() {
  const { data, loading, error, refetch } = useQuery(OrderListDocument, { variables: { first: 50 }, fetchPolicy: 'cache-and-network' });
  const orders = data?.orders;
  if (!orders) {
    if (loading) return <Loading label="Loading your orders" />;
    return <ErrorState title="Your orders are unavailable" onRetry={() => void refetch()} />;
  }
  if (orders.edges.length === 0)
    return (
      <Empty title="No orders yet">
        <Link to="/" className="button">
          Start shopping
        </Link>
      </Empty>
    );
  return (
    <table className="order-table">
      <caption className="visually-hidden">Your orders, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Placed</th>
          <th scope="col">Status</th>
          <th scope="col" className="number">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {orders.edges.map(({ node }) => (
          <tr key={node.id}>
            <td>
              <Link to={`/orders/${node.id}`}>{node.number}</Link>
            </td>
            <td>
              <time dateTime={node.createdAt}>{dateFormat.format(new Date(node.createdAt))}</time>
            </td>
            <td>
              <OrderStatus status={node.status} />
            </td>
            <td className="number">
              <Price money={node.total} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OrderList() {
  usePageTitle('Your orders');
  const { signedIn } = useAuth();
  if (!signedIn) return <Navigate to="/sign-in?next=/orders" replace />;
  return (
    <section>
      <h1>Your orders</h1>
      <Orders />
    </section>
  );
}
