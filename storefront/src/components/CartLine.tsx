import { Link } from 'react-router';
import { getFragmentData, type FragmentType } from '../generated';
import { CartLineFragmentDoc } from '../generated/graphql';
import { Price } from './Price';
import { ProductImage } from './ProductImage';

interface CartLineProps {
  line: FragmentType<typeof CartLineFragmentDoc>;
  /** Sets the line's quantity (0 removes it); left out where the cart is read only, as at checkout. */
  onQuantity?: (productId: string, quantity: number) => void;
  busy?: boolean;
}

/** One line of the cart: the product, its quantity (with a stepper where it can change) and the line's total from the API. */
export function CartLine({ line: masked, onQuantity, busy = false }: CartLineProps) {
  const line = getFragmentData(CartLineFragmentDoc, masked);
  const product = line.product;
  // Null only while the catalogue cannot be reached.
  const name = product?.name ?? 'A product that cannot be shown right now';
  return (
    <li className="cart-line">
      <ProductImage image={product?.featuredImage} name={name} box="line" loading="eager" />
      <div className="cart-line__body">
        {product ? (
          <Link to={`/products/${product.id}`} className="cart-line__name">
            {name}
          </Link>
        ) : (
          <span className="cart-line__name">{name}</span>
        )}
        <span className="muted small">
          <Price money={product?.price} /> each
        </span>
        <div className="cart-line__actions">
          {onQuantity && product ? (
            <>
              <button
                type="button"
                className="button button--secondary button--small"
                aria-label={`Decrease quantity of ${name}`}
                disabled={busy || line.quantity <= 1}
                onClick={() => onQuantity(product.id, line.quantity - 1)}
              >
                −
              </button>
              <span aria-label={`Quantity of ${name}`}>{line.quantity}</span>
              <button
                type="button"
                className="button button--secondary button--small"
                aria-label={`Increase quantity of ${name}`}
                disabled={busy || line.quantity >= product.stock}
                onClick={() => onQuantity(product.id, line.quantity + 1)}
              >
                +
              </button>
              <button type="button" className="link-button small" aria-label={`Remove ${name}`} disabled={busy} onClick={() => onQuantity(product.id, 0)}>
                Remove
              </button>
            </>
          ) : (
            <span>Quantity {line.quantity}</span>
          )}
          <strong className="cart-line__total">
            <Price money={line.lineTotal} />
          </strong>
        </div>
      </div>
    </li>
  );
}
