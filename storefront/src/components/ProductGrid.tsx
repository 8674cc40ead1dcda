import type { FragmentType } from '../generated';
import type { ProductCardFragmentDoc } from '../generated/graphql';
import { ProductCard } from './ProductCard';

type GridProduct = { id: string } & FragmentType<typeof ProductCardFragmentDoc>;

/**
 * Product tiles in a responsive grid, as a named list for screen readers. The first `eagerImages`
 * tiles' pictures load at once (a page's first row, in view on arrival); the rest as they near the view.
 */
export function ProductGrid({ products, label, eagerImages = 0 }: { products: readonly GridProduct[]; label: string; eagerImages?: number }) {
  return (
    <ul className="product-grid" aria-label={label}>
      {products.map((product, index) => (
        <li key={product.id}>
          <ProductCard product={product} imageLoading={index < eagerImages ? 'eager' : 'lazy'} />
        </li>
      ))}
    </ul>
  );
}
