import type { FragmentType } from '../generated';
import type { ProductCardFragmentDoc } from '../generated/graphql';
import { ProductCard } from './ProductCard';

type GridProduct = { id: string } & FragmentType<typeof ProductCardFragmentDoc>;

/** Product tiles in a responsive grid, as a named list for screen readers. */
export function ProductGrid({ products, label }: { products: readonly GridProduct[]; label: string }) {
  return (
    <ul className="product-grid" aria-label={label}>
      {products.map((product) => (
        <li key={product.id}>
          <ProductCard product={product} />
        </li>
      ))}
    </ul>
  );
}
