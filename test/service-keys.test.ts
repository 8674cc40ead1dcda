import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallerKeys, createServiceCredentials, loadServiceCredentials, loadServiceKey, SERVICE_TOKEN_HEADER, servicePrivateKeyPath, type ServiceName } from '@greencart/platform';
import { orderTools, type OrderTools, type ProductView } from './support/order-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/**
 * Each service proves who it is with a key of its own (docs/operations.md, Service keys): the
 * services run as under `npm start`, each key generated into the data folder, and a sibling that
 * turned hostile holds its own key only.
 */

let supergraph: TestSupergraph;
let tools: OrderTools;
let product: ProductView;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await orderTools(supergraph);
  product = await tools.createProduct({ stock: 100 });
});

afterAll(async () => {
  await supergraph?.stop();
});

const RESERVE = /* GraphQL */ `
  mutation ReserveStock($reservationId: ID!, $lines: [StockLineInput!]!) {
    reserveStock(reservationId: $reservationId, lines: $lines) {
      reservationId
      reserved
    }
  }
`;

type SubgraphName = 'accounts' | 'orders' | 'products';

/** A GraphQL request straight to a subgraph with this service token: its HTTP status and body. */
async function callSubgraph(subgraph: SubgraphName, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${supergraph.subgraphUrls[subgraph]}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: token },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
  return { status: response.status, body, code: body.errors?.[0]?.extensions?.code };
}

const reserveOne = (subgraphToken: string) => callSubgraph('products', subgraphToken, RESERVE, { reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 1 }] });

/** Products as an attacker who took over its process would have it: its own key, in its own place under the data folder. */
async function hostileProducts(claiming: ServiceName) {
  const { key } = await loadServiceKey({ service: 'products', dataDir: supergraph.serviceKeysDir });
  return createServiceCredentials({ serviceName: claiming, signingKey: key, callerKeys: await CallerKeys.load({}) });
}

describe('a service that claims to be another', () => {
  it('is refused when products signs a token saying it is orders: no stock moves, accounts answers nothing', async () => {
    const asOrders = await hostileProducts('orders');
    const reserved = await reserveOne(await asOrders.token('products'));
    expect(reserved.status).toBe(401);
    expect(reserved.body.data).toBeUndefined();
    const entities = await callSubgraph('accounts', await asOrders.token('accounts'), '{ _service { sdl } }');
    expect(entities.status).toBe(401);
    expect(await tools.stockOf(product.id)).toBe(100);
  });

  it('is refused when products signs a token saying it is the gateway, or itself', async () => {
    for (const claiming of ['gateway', 'products'] as const) {
      const hostile = await hostileProducts(claiming);
      for (const subgraph of ['accounts', 'orders', 'products'] as const) {
        expect((await callSubgraph(subgraph, await hostile.token(subgraph), '{ _service { sdl } }')).status, `${claiming} → ${subgraph}`).toBe(401);
      }
    }
  });

  it('cannot pass on a token it was sent: orders’ token for products does not open accounts', async () => {
    const ordersTokenForProducts = await supergraph.serviceToken('orders', 'products');
    expect((await callSubgraph('accounts', ordersTokenForProducts, '{ _service { sdl } }')).status).toBe(401);
    expect((await callSubgraph('products', ordersTokenForProducts, '{ _service { sdl } }')).status).toBe(200);
  });
});

describe('each receiver answers the callers the contract allows', () => {
  it('moves stock for orders’ own key, and refuses the gateway’s stock operations with FORBIDDEN', async () => {
    const asOrders = await reserveOne(await supergraph.serviceToken('orders', 'products'));
    expect(asOrders.body).toEqual({ data: { reserveStock: { reservationId: expect.any(String), reserved: true } } });
    const asGateway = await reserveOne(await supergraph.serviceToken('gateway', 'products'));
    expect(asGateway.code).toBe('FORBIDDEN');
    expect(await tools.stockOf(product.id)).toBe(99);
  });

  it('lets orders read accounts and products, but not orders’ own GraphQL, which only the gateway calls', async () => {
    for (const subgraph of ['accounts', 'products'] as const)
      expect((await callSubgraph(subgraph, await supergraph.serviceToken('orders', subgraph), '{ _service { sdl } }')).status, subgraph).toBe(200);
    expect((await callSubgraph('orders', await supergraph.serviceToken('orders', 'orders'), '{ _service { sdl } }')).status).toBe(401);
    expect((await callSubgraph('orders', await supergraph.serviceToken('gateway', 'orders'), '{ _service { sdl } }')).status).toBe(200);
  });

  it('serves products’ change feed to the gateway only: orders, a known caller, gets 403', async () => {
    const asOrders = await fetch(`${supergraph.subgraphUrls.products}/events`, { headers: { [SERVICE_TOKEN_HEADER]: await supergraph.serviceToken('orders', 'products') } });
    expect(asOrders.status).toBe(403);
    expect(await asOrders.json()).toEqual({ errors: [{ message: 'This feed does not answer orders.', extensions: { code: 'FORBIDDEN' } }] });
  });
});

describe('rotating orders’ key', () => {
  it('keeps gateway traffic and orders’ old tokens working while orders’ new key is accepted, and leaves the gateway’s key alone', async () => {
    const customer = await supergraph.registerCustomer();
    const oldOrdersToken = await supergraph.serviceToken('orders', 'products');
    const gatewayToken = await supergraph.serviceToken('gateway', 'accounts');

    // As docs/operations.md tells it: orders' private key removed, orders started again, which makes
    // and publishes a new one; the receivers, already running, pick it up from the data folder.
    await rm(servicePrivateKeyPath(supergraph.serviceKeysDir, 'orders'));
    const { credentials: rotated, generated, kid } = await loadServiceCredentials({ service: 'orders', callerPublicKeys: {}, dataDir: supergraph.serviceKeysDir });
    expect(generated).toBe(true);
    expect(kid).not.toBe(decodeProtectedHeader(oldOrdersToken).kid);

    expect((await reserveOne(await rotated.token('products'))).body.data).toEqual({ reserveStock: { reservationId: expect.any(String), reserved: true } });
    expect((await callSubgraph('accounts', await rotated.token('accounts'), '{ _service { sdl } }')).status).toBe(200);
    // Tokens under the old key still verify until it is removed, so replicas can roll one by one.
    expect((await reserveOne(oldOrdersToken)).body.data).toEqual({ reserveStock: { reservationId: expect.any(String), reserved: true } });
    expect((await callSubgraph('accounts', gatewayToken, '{ _service { sdl } }')).status).toBe(200);
    // And the running services, orders still on its old key, serve a whole order through the gateway.
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 2 }]);
    expect(order.status).toBe('PENDING_PAYMENT');
  });
});
