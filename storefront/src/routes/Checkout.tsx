import { useMutation, useQuery } from '@apollo/client/react';
import { useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { useAuth } from '../auth';
import { AddressFields, initialAddressChoice, type AddressChoice } from '../components/AddressFields';
import { CardFields, initialCardChoice } from '../components/CardFields';
import { CartLine } from '../components/CartLine';
import { CartSummary } from '../components/CartSummary';
import { Empty, ErrorState, Loading } from '../components/States';
import { FormErrors, readUserErrors } from '../components/UserErrors';
import { CheckoutPageDocument, HeaderDocument, PlaceCartOrderDocument, SaveShippingAddressDocument, type CheckoutPageQuery } from '../generated/graphql';
import { newIdempotencyKey } from '../idempotency-key';
import { usePageTitle } from '../page-title';
import { useOrderPayment, type CardChoice, type FieldError } from '../payment';

const UNREACHABLE: FieldError = { message: "We couldn't reach the shop. Nothing was ordered or charged; please try again." };

/** The shipping address to order with: a saved one, or the new one saved now. */
function useShippingAddressId() {
  const [saveAddress] = useMutation(SaveShippingAddressDocument);
  return async (choice: AddressChoice): Promise<{ id?: string; errors: FieldError[] }> => {
    if ('savedId' in choice) return { id: choice.savedId, errors: [] };
    const result = await saveAddress({ variables: { input: { ...choice, line2: choice.line2 || undefined } } }).catch(() => undefined);
    const payload = result?.data?.addAddress;
    if (!payload) return { errors: [UNREACHABLE] };
    return { id: payload.address?.id, errors: readUserErrors(payload.userErrors) };
  };
}

type Me = NonNullable<CheckoutPageQuery['me']>;
type CheckoutCart = NonNullable<CheckoutPageQuery['cart']>;

/**
 * Places the cart's order and pays it. One idempotency key per attempt: a request whose answer was
 * lost is sent again with the same key, so it never orders twice; once the order exists, pressing
 * `Place order` again (after a declined card) pays that same order.
 */
function CheckoutForm({ me, cart }: { me: Me; cart: CheckoutCart }) {
  const navigate = useNavigate();
  const shippingAddressId = useShippingAddressId();
  const pay = useOrderPayment();
  // Placing the order empties the cart: the header's count follows.
  const [placeOrder] = useMutation(PlaceCartOrderDocument, { refetchQueries: [HeaderDocument] });
  const attemptKey = useRef(newIdempotencyKey());
  // The order once placed, with the cart as it was ordered (the cart itself is empty by then).
  const [placed, setPlaced] = useState<{ id: string; number: string; cart: CheckoutCart } | undefined>();
  const [address, setAddress] = useState<AddressChoice>(() => initialAddressChoice(me.addresses));
  const [card, setCard] = useState<CardChoice>(() => initialCardChoice(me.paymentMethods));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [declined, setDeclined] = useState(false);
  const [busy, setBusy] = useState(false);

  const order = async (): Promise<{ id: string; number: string } | FieldError[]> => {
    if (placed) return placed;
    const shipping = await shippingAddressId(address);
    if (!shipping.id) return shipping.errors;
    const result = await placeOrder({ variables: { input: { idempotencyKey: attemptKey.current, shippingAddressId: shipping.id } } }).catch(() => undefined);
    // No answer: the order may exist, so the key stays for the retry.
    if (!result?.data?.placeOrder) return [UNREACHABLE];
    const { order: created, userErrors } = result.data.placeOrder;
    if (!created) {
      // Refused (say, out of stock): nothing was ordered, and the next attempt is a new one.
      attemptKey.current = newIdempotencyKey();
      return readUserErrors(userErrors);
    }
    setPlaced({ ...created, cart });
    return created;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors([]);
    try {
      const placedOrder = await order();
      if (Array.isArray(placedOrder)) return setErrors(placedOrder);
      const payment = await pay(placedOrder.id, card);
      if (payment.paid || payment.settled) return navigate(`/orders/${placedOrder.id}`);
      setDeclined(payment.declined);
      setErrors(payment.errors);
    } finally {
      setBusy(false);
    }
  };

  const ordered = placed?.cart ?? cart;
  return (
    <form className="two-columns" onSubmit={(event) => void submit(event)} noValidate>
      <div className="panel">
        {placed ? (
          <p className="notice notice--info">
            Order {placed.number} is placed and waiting for payment. <Link to={`/orders/${placed.id}`}>View the order</Link>
          </p>
        ) : (
          <AddressFields saved={me.addresses} errors={errors} onChange={setAddress} />
        )}
        <CardFields saved={me.paymentMethods} errors={errors} onChange={setCard} />
        {declined && (
          <p className="form-errors" role="alert">
            Your card was declined. Order {placed?.number} is saved: pay it with another card.
          </p>
        )}
        <FormErrors errors={declined ? [] : errors.filter((error) => !error.field || !['line1', 'line2', 'city', 'postalCode', 'cardNumber', 'expiry', 'cvc'].includes(error.field))} />
      </div>
      <CartSummary totalQuantity={ordered.totalQuantity} subtotal={ordered.subtotal}>
        <ul className="line-list" aria-label="Items in your order">
          {ordered.items.map((line) => (
            <CartLine key={line.id} line={line} />
          ))}
        </ul>
        <p>
          <button type="submit" className="button button--primary" disabled={busy} aria-describedby="checkout-test-cards">
            Place order
          </button>
        </p>
        <p id="checkout-test-cards" className="muted small">
          Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.
        </p>
      </CartSummary>
    </form>
  );
}

export function Checkout() {
  usePageTitle('Checkout');
  const { signedIn } = useAuth();
  const { data, loading, error, refetch } = useQuery(CheckoutPageDocument, { fetchPolicy: 'network-only', skip: !signedIn });
  // Once the form shows it stays: placing the order empties the cart, and a declined card is paid again here.
  const formShown = useRef(false);
  if (!signedIn) return <Navigate to="/sign-in?next=/checkout" replace />;

  let content;
  if (loading && !data) content = <Loading label="Loading checkout" />;
  else if (error || !data?.me || !data.cart) content = <ErrorState title="Checkout is unavailable" onRetry={() => void refetch()} />;
  else if (data.cart.items.length === 0 && !formShown.current)
    content = (
      <Empty title="Nothing to check out">
        <p>Your cart is empty. Orders waiting for payment are in your orders.</p>
        <Link to="/" className="button">
          Browse the shop
        </Link>
      </Empty>
    );
  else {
    formShown.current = true;
    content = <CheckoutForm me={data.me} cart={data.cart} />;
  }

  return (
    <section>
      <h1>Checkout</h1>
      {content}
    </section>
  );
}
