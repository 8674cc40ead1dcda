import { describe, expect, it } from 'vitest';
import { createServiceMetrics, errorCodeLabel, errorCodesIn, OperationNames } from '../src/http/metrics.js';

describe('OperationNames', () => {
  it('labels a named operation by its name and an unnamed one as anonymous', () => {
    const names = new OperationNames(10);
    expect(names.label('Cart')).toBe('Cart');
    expect(names.label(null)).toBe('anonymous');
    expect(names.label(undefined)).toBe('anonymous');
  });

  it('stops making new labels past its limit, so clients cannot grow the series without end', () => {
    const names = new OperationNames(2);
    expect(names.label('A')).toBe('A');
    expect(names.label('B')).toBe('B');
    expect(names.label('C')).toBe('other');
    expect(names.label('A')).toBe('A');
    expect(names.label('x'.repeat(101))).toBe('other');
  });
});

describe('errorCodeLabel', () => {
  it.each([
    ['UNAUTHENTICATED', 'UNAUTHENTICATED'],
    ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED'],
    [undefined, 'UNKNOWN'],
    [42, 'UNKNOWN'],
    ['lower_case', 'UNKNOWN'],
    ['A'.repeat(65), 'UNKNOWN'],
  ])('%j → %s', (code, label) => {
    expect(errorCodeLabel(code)).toBe(label);
  });
});

describe('errorCodesIn', () => {
  it('reads the code of every error in a GraphQL response body', () => {
    expect(errorCodesIn({ errors: [{ message: 'a', extensions: { code: 'UNAUTHENTICATED' } }, { message: 'b' }] })).toEqual(['UNAUTHENTICATED', 'UNKNOWN']);
    expect(errorCodesIn({ data: {} })).toEqual([]);
    expect(errorCodesIn({ status: 'ok' })).toEqual([]);
    expect(errorCodesIn(null)).toEqual([]);
  });
});

describe('createServiceMetrics', () => {
  it("keeps each service's series in its own registry, labelled with the service", async () => {
    const gateway = createServiceMetrics('gateway', { processMetrics: false });
    const products = createServiceMetrics('products', { processMetrics: false });
    gateway.requestArrived();
    gateway.requestArrived();
    expect(await gateway.registry.metrics()).toContain('greencart_graphql_requests_in_flight{service="gateway"} 2');
    gateway.observeRequest('Cart', 0.02, ['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    gateway.observeSubgraphRequest('orders', 0.01);
    const text = await gateway.registry.metrics();
    expect(text).toContain('greencart_graphql_requests_in_flight{service="gateway"} 1');
    expect(text).toContain('greencart_graphql_requests_total{operation="Cart",service="gateway"} 1');
    expect(text).toContain('greencart_graphql_request_duration_seconds_bucket{le="0.01",service="gateway",operation="Cart"} 0');
    expect(text).toContain('greencart_graphql_request_duration_seconds_bucket{le="0.025",service="gateway",operation="Cart"} 1');
    expect(text).toContain('greencart_graphql_errors_total{code="UNAUTHENTICATED",service="gateway"} 2');
    expect(text).toContain('greencart_subgraph_requests_total{subgraph="orders",service="gateway"} 1');
    expect(text).toContain('greencart_subgraph_request_duration_seconds_count{service="gateway",subgraph="orders"} 1');
    expect(await products.registry.metrics()).not.toContain('operation="Cart"');
  });
});
