import { useMutation, useQuery } from '@apollo/client/react';
import { Link, useLocation } from 'react-router';
import { useAuth } from '../auth';
import { CartLine } from '../components/CartLine';
import { CartSummary } from '../components/CartSummary';
import { ProductGrid } from '../components/ProductGrid';
import { Empty, ErrorState, Loading } from '../components/States';
import { FormErrors, readUserErrors } from '../components/UserErrors';
import { getFragmentData } from '../generated';
import { CartContentsFragmentDoc, CartPageDocument, ChangeCartQuantityDocument } from '../generated/graphql';
import { usePageTitle } from '../page-title';

/** A message handed over by the page that sent the shopper here (what could not be added at sign-in). */
function useNotice(): string | undefined {
  const { state } = useLocation() as { state: { notice?: string } | null };
  return state?.notice;
}

function SignedInCart() {
  // The cart changes from other pages (Add to cart): always ask the API, showing the cache meanwhile.
  const { data, loading, error, refetch } = useQuery(CartPageDocument, { fetchPolicy: 'cache-and-network' });
  const [changeQuantity, change] = useMutation(ChangeCartQuantityDocument);
  const notice = useNotice();
  const cart = getFragmentData(CartContentsFragmentDoc, data?.cart);

  if (!cart) {
    if (loading) return <Loading label="Loading your cart" />;
    return <ErrorState title="Your cart is unavailable" onRetry={() => void refetch()} />;
  }
  const userErrors = readUserErrors(change.data?.updateCartItem?.userErrors);
  return (
    <>
      {notice && <p className="notice notice--info">{notice}</p>}
      {error && <ErrorState title="Your cart may be out of date" onRetry={() => void refetch()} />}
      {cart.items.length === 0 ? (
        <Empty title="Your cart is empty">
          <Link to="/" className="button">
            Browse the shop
          </Link>
        </Empty>
      ) : (
        <div className="two-columns">
          <div>
            <ul className="line-list" aria-label="Items in your cart">
              {cart.items.map((line) => (
                <CartLine
                  key={line.id}
                  line={line}
                  busy={change.loading}
                  onQuantity={(productId, quantity) => void changeQuantity({ variables: { input: { productId, quantity } } }).catch(() => {})}
                />
              ))}
            </ul>
            <FormErrors errors={[...userErrors, ...(change.error ? [{ message: 'Could not change your cart. Please try again.' }] : [])]} />
          </div>
          <CartSummary totalQuantity={cart.totalQuantity} subtotal={cart.subtotal}>
            <Link to="/checkout" className="button button--primary">
              Check out
            </Link>
          </CartSummary>
        </div>
      )}
      {cart.suggestions.length > 0 && (
        <section className="product-section" aria-label="You might also like">
          <h2>You might also like</h2>
          <ProductGrid label="Suggestions" products={cart.suggestions} />
        </section>
      )}
    </>
  );
}

export function Cart() {
  usePageTitle('Cart');
  const { signedIn } = useAuth();
  return (
    <section>
      <h1>Your cart</h1>
      {signedIn ? (
        <SignedInCart />
      ) : (
        <Empty title="Sign in to see your cart">
          <p>Your cart is kept with your account, on every device.</p>
          <Link to="/sign-in?next=/cart" className="button">
            Sign in
          </Link>
        </Empty>
      )}
    </section>
  );
}
