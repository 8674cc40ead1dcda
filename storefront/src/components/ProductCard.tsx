import { Link } from 'react-router';
import { getFragmentData, type FragmentType } from '../generated';
import { ProductCardFragmentDoc } from '../generated/graphql';
import { Price } from './Price';
import { ProductImage } from './ProductImage';
import { Stars } from './Stars';

/** A product tile: the whole tile is one link, named by the product's name. */
export function ProductCard({ product: masked, imageLoading }: { product: FragmentType<typeof ProductCardFragmentDoc>; imageLoading?: 'lazy' | 'eager' }) {
  const product = getFragmentData(ProductCardFragmentDoc, masked);
  return (
    <article className="product-card">
      <ProductImage image={product.featuredImage} name={product.name} loading={imageLoading} />
      <h3 className="product-card__name">
        <Link to={`/products/${product.id}`} className="product-card__link">
          {product.name}
        </Link>
      </h3>
      <p className="product-card__meta">
        <Price money={product.price} />
        {!product.inStock && <span className="badge badge--muted">Out of stock</span>}
      </p>
      {product.rating && product.rating.average !== null && (
        <p className="product-card__rating small muted">
          <Stars value={product.rating.average} label={`Rated ${product.rating.average} out of 5`} /> ({product.rating.count})
        </p>
      )}
    </article>
  );
}
