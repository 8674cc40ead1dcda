import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useAuth } from '../auth';
import { Price } from '../components/Price';
import { ProductGrid } from '../components/ProductGrid';
import { ProductGallery } from '../components/ProductGallery';
import { RatingSummary } from '../components/RatingSummary';
import { ReviewItem } from '../components/ReviewItem';
import { Empty, ErrorState, Loading } from '../components/States';
import { StockStatus } from '../components/StockStatus';
import { FormErrors, readUserErrors } from '../components/UserErrors';
import { getFragmentData } from '../generated';
import { AddToCartDocument, ProductLiveDocument, ProductPageDocument, StockStatusFragmentDoc } from '../generated/graphql';
import { usePageTitle } from '../page-title';
import { pendingCart } from '../pending-cart';

/** Quantity and the `Add to cart` button; a visitor is asked to sign in first, and the choice is kept. */
function AddToCartForm({ productId, productName, stock }: { productId: string; productName: string; stock: number }) {
  const { signedIn } = useAuth();
  const navigate = useNavigate();
  const [quantity, setQuantity] = useState(1);
  const [addToCart, { data, loading, error }] = useMutation(AddToCartDocument);
  const userErrors = readUserErrors(data?.addToCart?.userErrors);
  const added = data?.addToCart?.cart && userErrors.length === 0;

  return (
    <form
      className="add-to-cart"
      onSubmit={(event) => {
        event.preventDefault();
        if (!signedIn) {
          pendingCart.add({ productId, quantity });
          void navigate(`/sign-in?next=${encodeURIComponent('/cart')}&reason=cart`);
          return;
        }
        // Errors show below the button; nothing to do with the rejected promise here.
        addToCart({ variables: { input: { productId, quantity } } }).catch(() => {});
      }}
    >
      <label className="field field--inline">
        <span>Quantity</span>
        <input type="number" min={1} max={Math.max(1, stock)} value={quantity} onChange={(event) => setQuantity(Math.max(1, Number(event.target.value) || 1))} />
      </label>
      <button type="submit" className="button button--primary" disabled={stock === 0 || loading}>
        Add to cart
      </button>
      <div aria-live="polite" className="add-to-cart__result">
        {added && (
          <p className="notice notice--success">
            Added {productName} to your cart. <Link to="/cart">View cart</Link>
          </p>
        )}
      </div>
      <FormErrors errors={[...userErrors, ...(error ? [{ message: 'Could not add to the cart. Please try again.' }] : [])]} />
    </form>
  );
}

/** A region filled by a deferred part: loading until it arrives, an error if it came without data. */
function DeferredSection({ title, arrived, streaming, children }: { title: string; arrived: boolean; streaming: boolean; children: ReactNode }) {
  return (
    <section className="product-section" aria-label={title}>
      <h2>{title}</h2>
      {arrived ? children : streaming ? <Loading label={`Loading ${title.toLowerCase()}`} /> : <p className="muted">{title} are unavailable right now.</p>}
    </section>
  );
}

export function ProductPage() {
  const { id = '' } = useParams();
  const { data, dataState, loading, error, refetch } = useQuery(ProductPageDocument, { variables: { id }, errorPolicy: 'all' });
  // Stock, price and name kept live: each event updates this product in Apollo's cache.
  useSubscription(ProductLiveDocument, { variables: { ids: [id] }, skip: !data?.product });
  const product = data?.product;
  usePageTitle(product?.name);

  if (!product) {
    if (loading) return <Loading label="Loading product" />;
    if (error && !data) return <ErrorState title="This product is unavailable" onRetry={() => void refetch()} />;
    return (
      <Empty title="Product not found">
        <p>It may have been removed from the catalogue.</p>
        <Link to="/" className="button">
          Back to the shop
        </Link>
      </Empty>
    );
  }

  const streaming = dataState === 'streaming';
  const { stock } = getFragmentData(StockStatusFragmentDoc, product);
  return (
    <article className="product">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/">Shop</Link> <span aria-hidden="true">/</span> <Link to={`/?category=${product.category.id}`}>{product.category.name}</Link>
      </nav>
      <div className="product__hero">
        <ProductGallery product={product} />
        <div className="product__summary">
          <h1>{product.name}</h1>
          <p className="product__price">
            <Price money={product.price} />
          </p>
          <StockStatus product={product} />
          <RatingSummary rating={product.rating} />
          <p className="product__description">{product.description}</p>
          <AddToCartForm productId={product.id} productName={product.name} stock={stock} />
          <p className="muted small">SKU {product.sku}</p>
        </div>
      </div>

      <DeferredSection title="Recommendations" arrived={'recommendations' in product && product.recommendations !== undefined} streaming={streaming}>
        {'recommendations' in product && product.recommendations && product.recommendations.length > 0 ? (
          <ProductGrid label="Recommendations" products={product.recommendations} />
        ) : (
          <p className="muted">No recommendations for this product yet.</p>
        )}
      </DeferredSection>

      <DeferredSection title="Bought together" arrived={'boughtTogether' in product && product.boughtTogether !== undefined} streaming={streaming}>
        {'boughtTogether' in product && product.boughtTogether && product.boughtTogether.length > 0 ? (
          <ProductGrid label="Bought together" products={product.boughtTogether} />
        ) : (
          <p className="muted">Nobody has bought this with anything else yet.</p>
        )}
      </DeferredSection>

      <DeferredSection title="Reviews" arrived={'reviews' in product && product.reviews != null} streaming={streaming}>
        {'reviews' in product && product.reviews && product.reviews.edges.length > 0 ? (
          <div className="reviews">
            {product.reviews.edges.map(({ node }) => (
              <ReviewItem key={node.id} review={node} />
            ))}
            {product.reviews.totalCount > product.reviews.edges.length && (
              <p className="muted small">
                Showing {product.reviews.edges.length} of {product.reviews.totalCount} reviews.
              </p>
            )}
          </div>
        ) : (
          <p className="muted">No reviews yet.</p>
        )}
      </DeferredSection>
    </article>
  );
}
