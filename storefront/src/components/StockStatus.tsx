import { getFragmentData, type FragmentType } from '../generated';
import { StockStatusFragmentDoc } from '../generated/graphql';

/** "12 in stock" or "Out of stock", announced when it changes (the product page keeps it live). */
export function StockStatus({ product: masked }: { product: FragmentType<typeof StockStatusFragmentDoc> }) {
  const { stock, inStock } = getFragmentData(StockStatusFragmentDoc, masked);
  return (
    <p className={inStock ? 'stock stock--in' : 'stock stock--out'} role="status">
      {inStock ? `${stock} in stock` : 'Out of stock'}
    </p>
  );
}
