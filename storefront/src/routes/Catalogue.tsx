import { useQuery } from '@apollo/client/react';
import { Link, useSearchParams } from 'react-router';
import { Empty, ErrorState, Loading } from '../components/States';
import { ProductGrid } from '../components/ProductGrid';
import { CataloguePageDocument, type ProductFilter } from '../generated/graphql';
import { usePageTitle } from '../page-title';

const PAGE_SIZE = 12;

/** The catalogue's state, all in the URL (`?q=oat&category=…&inStock=1&after=…`), so links, back and reload keep it. */
function useCatalogueParams() {
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const categoryId = params.get('category') ?? '';
  const inStock = params.get('inStock') === '1';
  const after = params.get('after') ?? undefined;
  /** A new filter starts again from the first page. */
  const setFilter = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    next.delete('after');
    setParams(next);
  };
  const pageAfter = (cursor: string | undefined) => {
    const next = new URLSearchParams(params);
    if (cursor) next.set('after', cursor);
    else next.delete('after');
    return `?${next}`;
  };
  return { search, categoryId, inStock, after, setFilter, pageAfter };
}

function SearchForm({ search, onSearch }: { search: string; onSearch(search: string): void }) {
  return (
    // Keyed by the URL's search, so back and forward show what was searched there.
    <form
      key={search}
      role="search"
      className="search"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch(String(new FormData(event.currentTarget).get('q') ?? '').trim());
      }}
    >
      <label htmlFor="catalogue-search" className="visually-hidden">
        Search products
      </label>
      <input id="catalogue-search" name="q" type="search" defaultValue={search} placeholder="Search oats, bread, apples…" autoComplete="off" />
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}

export function Catalogue() {
  const { search, categoryId, inStock, after, setFilter, pageAfter } = useCatalogueParams();
  const filter: ProductFilter = { ...(search && { search }), ...(categoryId && { categoryId }), ...(inStock && { inStock: true }) };
  const { data, previousData, loading, error, refetch } = useQuery(CataloguePageDocument, { variables: { first: PAGE_SIZE, after, filter } });
  usePageTitle(search ? `Search: ${search}` : undefined);
  // The last page stays on screen (dimmed) while the next one loads.
  const shown = data ?? previousData;
  const categories = shown?.categories ?? [];
  const products = shown?.products;

  return (
    <section className="catalogue">
      <div className="catalogue__intro">
        <h1>Fresh from the market</h1>
        <SearchForm search={search} onSearch={(q) => setFilter({ q })} />
      </div>
      <div className="filters" aria-label="Filters" role="group">
        <label className="field field--inline">
          <span>Category</span>
          <select value={categoryId} onChange={(event) => setFilter({ category: event.target.value })}>
            <option value="">All categories</option>
            {categories.map((category) => (
              <option key={category.id} value={category.id}>
                {category.name}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          {/* Ticks at once, as a checkbox should; keyed by the URL's value, so back and forward set it too. */}
          <input key={String(inStock)} type="checkbox" defaultChecked={inStock} onChange={(event) => setFilter({ inStock: event.target.checked ? '1' : undefined })} />
          <span>In stock only</span>
        </label>
        {products && (
          <p className="muted filters__count" role="status">
            {products.totalCount} {products.totalCount === 1 ? 'product' : 'products'}
          </p>
        )}
      </div>

      {error && !loading ? (
        <ErrorState title="The catalogue is unavailable" onRetry={() => void refetch()} />
      ) : !products ? (
        <Loading label="Loading products" />
      ) : products.edges.length === 0 ? (
        <Empty title="No products match">
          <p>Try another search, or all categories.</p>
          <Link to="/" className="button button--secondary">
            Clear filters
          </Link>
        </Empty>
      ) : (
        <div className={loading ? 'is-refreshing' : undefined} aria-busy={loading}>
          <ProductGrid label="Products" products={products.edges.map((edge) => edge.node)} eagerImages={4} />
          <nav className="pager" aria-label="Pages">
            {after && (
              <Link to={pageAfter(undefined)} className="button button--secondary">
                First page
              </Link>
            )}
            {products.pageInfo.hasNextPage && products.pageInfo.endCursor && (
              <Link to={pageAfter(products.pageInfo.endCursor)} className="button button--secondary">
                Next page
              </Link>
            )}
          </nav>
        </div>
      )}
    </section>
  );
}
