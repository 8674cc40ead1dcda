import type { SubgraphClient } from '@greencart/platform';

/** Whether products can be reviewed: they exist and are not archived. */
export interface CatalogueClient {
  /** The ids, of those given, of active products: one call to products. */
  activeProductIds(ids: readonly string[]): Promise<Set<string>>;
  forRequest(requestId: string): CatalogueClient;
}

const PRODUCT_STATUS = /* GraphQL */ `
  query ReviewableProducts($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Product {
        id
        status
      }
    }
  }
`;

/** Asks the products subgraph directly, with reviews' own service credentials. */
export function createCatalogueClient(products: SubgraphClient): CatalogueClient {
  return {
    async activeProductIds(ids) {
      if (ids.length === 0) return new Set();
      const data = await products.request<{ _entities: Array<{ id: string; status: string } | null> }>(PRODUCT_STATUS, {
        representations: ids.map((id) => ({ __typename: 'Product', id })),
      });
      return new Set(data._entities.filter((entity) => entity?.status === 'ACTIVE').map((entity) => entity!.id));
    },
    forRequest: (requestId) => createCatalogueClient(products.forRequest(requestId)),
  };
}
