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
      ... on Address {
        line1
        line2
        city
        postalCode
        country
      }
    }
  }
`;

const PAYMENT_METHOD = /* GraphQL */ `
  query PaymentMethodToCharge($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on PaymentMethod {
        processorToken
        active
      }
    }
  }
`;

const CUSTOMER = /* GraphQL */ `
  query BilledCustomer($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Customer {
        name
        email
      }
    }
  }
`;

/** The accounts subgraph, asked directly with orders' service credentials. */
export interface AccountsClient {
  /**
   * One of the signed-in customer's addresses: their own token is passed on, and accounts
   * resolves an address only for its owner, so another customer's address is simply not found.
   */
  addressOf(authorization: string, addressId: string): Promise<CustomerAddress | null>;
  /** A card of the signed-in customer that can still pay (resolved only for its owner); null otherwise. */
  chargeablePaymentMethod(authorization: string, paymentMethodId: string): Promise<{ processorToken: string } | null>;
  /** The signed-in customer's name and email, as an invoice is made out to them. */
  billedTo(authorization: string, customerId: string): Promise<{ name: string; email: string } | null>;
  /** The same queries, sending one request's id on to accounts. */
  forRequest(requestId: string): AccountsClient;
}

export function createAccountsClient(accounts: SubgraphClient): AccountsClient {
  return {
    async addressOf(authorization: string, addressId: string): Promise<CustomerAddress | null> {
      const data = await accounts.request<{ _entities: Array<CustomerAddress | null> }>(ADDRESS, { representations: [{ __typename: 'Address', id: addressId }] }, { authorization });
      return data._entities[0] ?? null;
    },

    async chargeablePaymentMethod(authorization: string, paymentMethodId: string): Promise<{ processorToken: string } | null> {
      const data = await accounts.request<{ _entities: Array<{ processorToken: string; active: boolean } | null> }>(
        PAYMENT_METHOD,
        { representations: [{ __typename: 'PaymentMethod', id: paymentMethodId }] },
        { authorization },
      );
      const method = data._entities[0];
      return method?.active ? { processorToken: method.processorToken } : null;
    },

    async billedTo(authorization: string, customerId: string): Promise<{ name: string; email: string } | null> {
      const data = await accounts.request<{ _entities: Array<{ name: string; email: string } | null> }>(CUSTOMER, { representations: [{ __typename: 'Customer', id: customerId }] }, { authorization });
      return data._entities[0] ?? null;
    },

    forRequest: (requestId) => createAccountsClient(accounts.forRequest(requestId)),
  };
}
