// What the bench asks: the GraphQL of its reads (Q1–Q4) and of placeOrder (M1), and one
// randomised request of each for a target, from the seeded data set and the customers' tokens.
import { randomInt, randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import type { BenchData } from '../seed.js';
import type { TargetName } from '../targets.js';

export const GRAPHQL = {
  Q1: `query BenchOrder($id: ID!) { order(id: $id) { id number items { id quantity product { id name price { amount currencyCode } stock category { id name } } } } }`,
  Q2: `query BenchProducts($category: ID!) { products(first: 50, filter: { categoryId: $category }) { nodes { id name price { amount currencyCode } stock category { id name } } } }`,
  Q3: `query BenchMyOrders { me { orders(first: 10) { nodes { items { product { name } } } } } }`,
  Q4: `query BenchProductPage($id: ID!) { product(id: $id) { id name description price { amount currencyCode } stock category { id name } recommendations { id name price { amount currencyCode } inStock } boughtTogether(first: 5) { id name price { amount currencyCode } inStock } } }`,
  M1: `mutation BenchPlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } userErrors { code message } } }`,
};
export type OperationName = keyof typeof GRAPHQL;
export const READS: OperationName[] = ['Q1', 'Q2', 'Q3', 'Q4'];

/** Targets with the subgraph processes behind them: (c) and (d). */
export const SUBGRAPHS_BEHIND: readonly TargetName[] = ['greencart', 'hive'];
/** Q4 (a product page with what orders learned was bought together) is a federation question: (c) and (d) only. */
export const answers = (target: TargetName, operation: OperationName) => operation !== 'Q4' || SUBGRAPHS_BEHIND.includes(target);

/** The seeded data set, a token for each customer, and M1's scarce products. */
export interface Fixture {
  data: BenchData;
  tokens: Map<string, string>;
  hotProductIds: string[];
}

/** One randomised request of `operation` for `target`: method, path, headers, body. */
export function requestFor(target: TargetName, operation: OperationName, fixture: Fixture): autocannon.Request {
  const { data, tokens } = fixture;
  if (target === 'limit') {
    if (operation === 'Q1') {
      const order = data.orders[randomInt(data.orders.length)]!;
      return { method: 'GET', path: `/q1?order=${order.id}&customer=${order.customerId}` };
    }
    if (operation === 'Q2') return { method: 'GET', path: `/q2?category=${data.categoryIds[randomInt(data.categoryIds.length)]}` };
    if (operation === 'Q3') return { method: 'GET', path: `/q3?customer=${data.customerIds[randomInt(data.customerIds.length)]}` };
    throw new Error(`the limit server does not answer ${operation}`);
  }
  let customerId = data.customerIds[randomInt(data.customerIds.length)]!;
  let variables: Record<string, unknown> = {};
  if (operation === 'Q1') {
    const order = data.orders[randomInt(data.orders.length)]!;
    customerId = order.customerId;
    variables = { id: order.id };
  } else if (operation === 'Q2') {
    variables = { category: data.categoryIds[randomInt(data.categoryIds.length)] };
  } else if (operation === 'Q4') {
    variables = { id: data.productIds[randomInt(data.productIds.length)] };
  } else if (operation === 'M1') {
    // Four products from the whole catalogue and one from a few scarce ones, which sell out.
    const productIds = new Set([fixture.hotProductIds[randomInt(fixture.hotProductIds.length)]!]);
    while (productIds.size < 5) productIds.add(data.productIds[randomInt(data.productIds.length)]!);
    variables = { input: { idempotencyKey: `bench-m1-${target}-${randomUUID()}`, items: [...productIds].map((productId) => ({ productId, quantity: 1 })) } };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(customerId)}` };
  // Q2 and Q4 are public: sent without a token, as a shop's catalogue and product pages would.
  if (operation === 'Q2' || operation === 'Q4') delete headers.authorization;
  return { method: 'POST', path: '/graphql', headers, body: JSON.stringify({ query: GRAPHQL[operation], variables }) };
}
