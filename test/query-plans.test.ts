import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { operationsPath } from '@greencart/gateway';
import { planOperations, queryPlanChanges, queryPlansDocument, queryPlansPath } from '../scripts/lib/query-plans.js';
import { supergraphSchemaPath } from '../scripts/lib/supergraph.js';

const supergraphSdl = readFileSync(supergraphSchemaPath, 'utf8');
const operations = readFileSync(operationsPath, 'utf8');

describe('docs/query-plans.md', () => {
  it("holds the gateway's plan of every client operation, and the deferred plans, up to date (npm run generate)", () => {
    const current = queryPlansDocument(planOperations(supergraphSdl, operations), planOperations(supergraphSdl, operations, { deferred: true }));
    const changes = queryPlanChanges(readFileSync(queryPlansPath, 'utf8'), current);
    expect(changes, 'docs/query-plans.md is stale: run `npm run generate` and review the plans that changed').toEqual([]);
  });

  it('tells a plan that gains a subgraph fetch: Me asking for its orders too', () => {
    const withOrders = operations.replace(/query Me \{\n  me \{\n/, '$&    orders(first: 1) { totalCount }\n');
    expect(withOrders).not.toBe(operations);
    const before = planOperations(supergraphSdl, operations).find((entry) => entry.name === 'Me')!;
    const after = planOperations(supergraphSdl, withOrders).find((entry) => entry.name === 'Me')!;
    expect([before.fetches, before.perSubgraph]).toEqual([1, { accounts: 1 }]);
    expect([after.fetches, after.perSubgraph, after.rounds]).toEqual([2, { accounts: 1, orders: 1 }, 2]);

    const changes = queryPlanChanges(queryPlansDocument(planOperations(supergraphSdl, operations)), queryPlansDocument(planOperations(supergraphSdl, withOrders)));
    expect(changes).toEqual(['Me: query: 1 subgraph fetch (accounts), in 1 round. → query: 2 subgraph fetches (accounts, orders), in 2 rounds.']);
  });

  it("shows ProductPage's deferred plan: the first part from products and reviews' rating, then together and reviews, each after it", () => {
    const productPage = planOperations(supergraphSdl, operations, { deferred: true }).find((entry) => entry.name === 'ProductPage');
    expect(productPage!.name).toBe('ProductPage');
    expect(productPage!.firstPart).toEqual({ fetches: 2, rounds: 2 });
    expect(productPage!.plan).toMatch(/^ {4}Primary \{/m);
    expect(productPage!.plan).toContain('Deferred(depends: [0], path: "product", label: "together")');
    expect(productPage!.plan).toContain('Deferred(depends: [0], path: "product", label: "reviews")');
    expect(readFileSync(queryPlansPath, 'utf8')).toContain('## ProductPage (deferred)');
  });

  it('plans a subscription as the query the gateway runs for each change', () => {
    const orderUpdated = planOperations(supergraphSdl, operations).find((entry) => entry.name === 'OrderUpdated')!;
    expect(orderUpdated.kind).toBe('subscription');
    expect(orderUpdated.plan).toContain('orderUpdated: order(id: $id) {');
    expect(orderUpdated.perSubgraph).toEqual({ orders: 1, products: 1 });
  });
});
