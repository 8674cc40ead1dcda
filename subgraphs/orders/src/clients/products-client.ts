import DataLoader from 'dataloader';
import { parseDecimalToCents, rowsByKey, ServiceCallError, type SubgraphClient } from '@greencart/platform';

/** What orders needs to know of a catalogue product. */
export interface CatalogueProduct {
  id: string;
  sku: string;
  name: string;
  status: 'ACTIVE' | 'ARCHIVED';
  stock: number;
  priceCents: number;
}

const PRODUCTS_BY_ID = /* GraphQL */ `
  query CatalogueProducts($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Product {
        id
        sku
        name
        status
        stock
        price {
          amount
        }
      }
    }
  }
`;

type EntityResult = { id: string; sku: string; name: string; status: CatalogueProduct['status']; stock: number; price: { amount: string } } | null;

/**
 * Per-request loader of catalogue products, asked of the products subgraph directly with service
 * credentials: all the products one request needs (a cart of any size) cost one call.
 */
export function createCatalogueProductLoader(products: SubgraphClient) {
  return new DataLoader<string, CatalogueProduct | null>(async (ids) => {
    const data = await products.request<{ _entities: EntityResult[] }>(PRODUCTS_BY_ID, {
      representations: ids.map((id) => ({ __typename: 'Product', id })),
    });
    const found = data._entities.filter((entity): entity is NonNullable<EntityResult> => entity !== null).map(toCatalogueProduct);
    return rowsByKey(ids, found, (product) => product.id);
  });
}

function toCatalogueProduct(entity: NonNullable<EntityResult>): CatalogueProduct {
  const priceCents = parseDecimalToCents(entity.price.amount);
  if (priceCents === undefined) throw new ServiceCallError(`products sent an unreadable price for ${entity.id}`);
  return { id: entity.id, sku: entity.sku, name: entity.name, status: entity.status, stock: entity.stock, priceCents };
}

/** Active catalogue products by sku (archived and unknown skus left out), in one call: the demo order history's prices and names. */
export async function findCatalogueProductsBySku(products: SubgraphClient, skus: readonly string[]): Promise<CatalogueProduct[]> {
  if (skus.length === 0) return [];
  // One aliased field per sku, each with its own variable: the operation is built from indexes only, never from the skus.
  const variables = Object.fromEntries(skus.map((sku, index) => [`sku${index}`, sku]));
  const query = `query CatalogueProductsBySku(${skus.map((_, index) => `$sku${index}: String!`).join(', ')}) {
    ${skus.map((_, index) => `p${index}: productBySku(sku: $sku${index}) { id sku name status stock price { amount } }`).join('\n    ')}
  }`;
  const data = await products.request<Record<string, EntityResult>>(query, variables);
  return Object.values(data)
    .filter((entity): entity is NonNullable<EntityResult> => entity !== null)
    .map(toCatalogueProduct);
}
