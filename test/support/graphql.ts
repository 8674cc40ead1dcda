import { expect } from 'vitest';
import { ADMIN } from './supergraph.js';

export interface GraphQLResponse<Data> {
  status: number;
  data: Data;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [key: string]: unknown } }>;
}

// Test documents are untyped JSON: `any` is the honest type of a response tree in an assertion.
type Json = any;

export interface GraphQLClient {
  /** Posts a GraphQL request over HTTP; `token` becomes `Authorization: Bearer <token>`. */
  request<Data = Json>(query: string, variables?: Record<string, unknown>, options?: { token?: string; headers?: Record<string, string> }): Promise<GraphQLResponse<Data>>;
  /** Like request, but fails the test on any top-level error, and returns `data`. */
  data<Data = Json>(query: string, variables?: Record<string, unknown>, options?: { token?: string }): Promise<Data>;
  /** Signs in as the seeded administrator. */
  adminToken(): Promise<string>;
  /** Registers a new customer with a unique email. */
  registerCustomer(overrides?: { email?: string; password?: string; name?: string }): Promise<{ token: string; id: string; email: string }>;
}

let customerSequence = 0;

export function graphqlClient(url: string): GraphQLClient {
  const client: GraphQLClient = {
    async request(query, variables = {}, options = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data: Json; errors?: GraphQLResponse<Json>['errors'] };
      return { status: response.status, data: body.data, errors: body.errors };
    },
    async data(query, variables, options) {
      const response = await client.request(query, variables, options);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return response.data;
    },
    async adminToken() {
      const data = await client.data(`mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`, { input: ADMIN });
      return data.login.token;
    },
    async registerCustomer(overrides = {}) {
      customerSequence += 1;
      const input = {
        email: overrides.email ?? `customer-${process.pid}-${customerSequence}-${Date.now()}@example.com`,
        password: overrides.password ?? 'correct horse battery',
        name: overrides.name ?? `Customer ${customerSequence}`,
      };
      const data = await client.data(`mutation($input: RegisterInput!) { register(input: $input) { token customer { id email } userErrors { code field } } }`, { input });
      expect(data.register.userErrors).toEqual([]);
      return { token: data.register.token, id: data.register.customer.id, email: data.register.customer.email };
    },
  };
  return client;
}
