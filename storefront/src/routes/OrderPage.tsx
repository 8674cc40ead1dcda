import { useApolloClient, useQuery, useSubscription } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Link, Navigate, useParams } from 'react-router';
import { useAuth } from '../auth';
import { CardFields, initialCardChoice } from '../components/CardFields';
import { OrderDetails } from '../components/OrderDetails';
import { OrderStatus } from '../components/OrderStatus';
import { Empty, ErrorState, Loading } from '../components/States';
import { FormErrors } from '../components/UserErrors';
import { getFragmentData } from '../generated';
import { OrderDetailsFragmentDoc, OrderLiveDocument, OrderPageDocument, SavedCardsDocument } from '../generated/graphql';
import { usePageTitle } from '../page-title';
import { useOrderPayment, type CardChoice, type FieldError } from '../payment';

/** Pays an order that is still waiting (a declined card at checkout, or a visit later): a saved card or a new one. */
function PayOrderForm({ orderId }: { orderId: string }) {
  const { data } = useQuery(SavedCardsDocument, { fetchPolicy: 'cache-and-network' });
  const client = useApolloClient();
  const pay = useOrderPayment();
  const [card, setCard] = useState<CardChoice | undefined>();
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const saved = data?.me?.paymentMethods;
  if (!saved) return <Loading label="Loading your cards" />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    // The order's status changes through the live subscription; only failures need saying here.
    const payment = await pay(orderId, card ?? initialCardChoice(saved));
    setErrors(payment.errors);
    setBusy(false);
    // No longer waiting (paid through a lost answer, or cancelled): show the order as it is now.
    if (payment.settled) await client.refetchQueries({ include: [OrderPageDocument] });
  };
  return (
    <form className="panel" onSubmit={(event) => void submit(event)} noValidate aria-label="Pay for this order">
      <h2>Pay for this order</h2>
      <CardFields saved={saved} errors={errors} onChange={setCard} />
      <FormErrors errors={errors.filter((error) => !error.field)} />
      <button type="submit" className="button button--primary" disabled={busy}>
        Pay now
      </button>
    </form>
  );
}

function SignedInOrderPage({ id }: { id: string }) {
  const { data, loading, error, refetch } = useQuery(OrderPageDocument, { variables: { id } });
  // Every change to the order (paid, shipped, delivered, cancelled) arrives here and updates the cache.
  useSubscription(OrderLiveDocument, { variables: { id }, skip: !data?.order });
  const order = getFragmentData(OrderDetailsFragmentDoc, data?.order);
  usePageTitle(order ? `Order ${order.number}` : 'Order');

  if (!order) {
    if (loading) return <Loading label="Loading the order" />;
    if (error) return <ErrorState title="This order is unavailable" onRetry={() => void refetch()} />;
    return (
      <Empty title="Order not found">
        <Link to="/orders" className="button">
          Your orders
        </Link>
      </Empty>
    );
  }
  return (
    <section>
      <div className="order-header">
        <h1>Order {order.number}</h1>
        <p role="status" aria-live="polite" aria-label="Order status">
          <OrderStatus status={order.status} />
        </p>
      </div>
      {order.status === 'PENDING_PAYMENT' && <PayOrderForm orderId={order.id} />}
      <OrderDetails order={data!.order!} />
    </section>
  );
}

export function OrderPage() {
  const { id = '' } = useParams();
  const { signedIn } = useAuth();
  if (!signedIn) return <Navigate to={`/sign-in?next=${encodeURIComponent(`/orders/${id}`)}`} replace />;
  return <SignedInOrderPage id={id} />;
}
