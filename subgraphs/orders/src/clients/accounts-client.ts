import type { SubgraphClient } from '@greencart/platform';

export interface CustomerAddress {
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  country: string;
}

const ADDRESS = /* GraphQL */ `
  query CustomerAddress($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Address { line1 line2 city postalCode country }
    }
  }
`;

/** The accounts subgraph, asked directly with orders' service credentials. */
export function createAccountsClient(accounts: SubgraphClient) {
  return {
    /**
     * One of the signed-in customer's addresses: their own token is passed on, and accounts
     * resolves an address only for its owner, so another customer's address is simply not found.
     */
    async addressOf(authorization: string, addressId: string): Promise<CustomerAddress | null> {
      const data = await accounts.request<{ _entities: Array<CustomerAddress | null> }>(
        ADDRESS,
        { representations: [{ __typename: 'Address', id: addressId }] },
        { authorization },
      );
      return data._entities[0] ?? null;
    },
  };
}
export type AccountsClient = ReturnType<typeof createAccountsClient>;
