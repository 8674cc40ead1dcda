import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { describe, expect, it } from 'vitest';
import { wholeFetchOf } from '../src/single-fetch.js';

// The planner and the gateway use Apollo's CommonJS copy of graphql; documents must come from the same copy.
const { parse, getOperationAST } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const supergraph = Supergraph.build(readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8'));
const apiSchema = supergraph.apiSchema();
const planner = new QueryPlanner(supergraph);
const schema = apiSchema.toGraphQLJSSchema();

/** The subgraph a client's query would be sent to whole, or undefined when the gateway's own path runs it. */
const wholeFetchFor = (query: string) => {
  const document = parse(query);
  const plan = planner.buildQueryPlan(operationFromDocument(apiSchema, document));
  return wholeFetchOf(plan, schema, document, getOperationAST(document)!)?.serviceName;
};

describe('which queries one subgraph answers whole', () => {
  it("takes a category's page of products and a product with its category, each answered by products alone", () => {
    expect(wholeFetchFor(`query Page($category: ID!) { products(first: 50, filter: { categoryId: $category }) { nodes { id name price { amount currencyCode } stock category { id name } } } }`)).toBe(
      'products',
    );
    expect(wholeFetchFor(`query One($id: ID!) { product(id: $id) { id shown: name category { name } } }`)).toBe('products');
    expect(wholeFetchFor(`query Mine { me { id email } }`)).toBe('accounts');
  });

  it('leaves to the gateway a query that reaches a second subgraph, a fragment, or a mutation', () => {
    expect(wholeFetchFor(`query Page($id: ID!) { product(id: $id) { id name boughtTogether(first: 5) { id } } }`)).toBeUndefined();
    expect(wholeFetchFor(`{ me { id } product(id: "p") { id } }`)).toBeUndefined();
    expect(wholeFetchFor(`query One($id: ID!) { product(id: $id) { ...Shown } } fragment Shown on Product { id name }`)).toBeUndefined();
    expect(wholeFetchFor(`query One($id: ID!) { product(id: $id) { ... on Product { id } } }`)).toBeUndefined();
    expect(wholeFetchFor(`mutation { register(input: { email: "a@b.c", password: "secret-password", name: "A" }) { token } }`)).toBeUndefined();
  });
});
