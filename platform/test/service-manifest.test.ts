import { describe, expect, it } from 'vitest';
import { callersOf, calleesOf, mayCall, serviceNamed } from '../src/auth/service-calls.js';
import { environmentNameOf, parseServiceManifest, repositoryManifest, serviceNamesOf, ServiceManifestError } from '../src/service-manifest.js';

/** A manifest of two subgraphs that GreenCart has never heard of. */
const twoSubgraphs = (extra = '') => `
federation_version: =2.14.4
gateway: { workspace: gateway, port: 4000, metrics_port: 9400 }
subgraphs:
  inventory-x:
    routing_url: http://127.0.0.1:4101/graphql
    schema: { file: ./inventory.graphql }
    workspace: subgraphs/inventory-x
    port: 4101
    metrics_port: 9501
    database: greencart_inventory
    callers: { graphql: [gateway, shipping], stockLevels: [shipping] }
  shipping:
    routing_url: http://127.0.0.1:4102/graphql
    schema: { file: ./shipping.graphql }
    workspace: subgraphs/shipping
    port: 4102
    metrics_port: 9502
    database: greencart_shipping
    callers: { graphql: [gateway], events: [gateway] }
    live_entities: [Shipment]
${extra}`;

const problemsOf = (text: string) => {
  try {
    parseServiceManifest(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceManifestError);
    return (error as Error).message;
  }
  throw new Error('the manifest was accepted');
};

describe('the service manifest', () => {
  it('names the gateway and every subgraph of supergraph.yaml, with who may call what', () => {
    const manifest = repositoryManifest();
    expect(manifest.file).toBe('supergraph.yaml');
    expect(serviceNamesOf(manifest)).toEqual(['gateway', ...manifest.subgraphs.map((subgraph) => subgraph.name)]);
    for (const subgraph of manifest.subgraphs) expect(mayCall('gateway', subgraph.name, 'graphql'), subgraph.name).toBe(true);
  });

  it('derives the call table of any manifest: callers, callees and the names it knows', () => {
    const manifest = parseServiceManifest(twoSubgraphs(), 'test.yaml');
    expect(serviceNamesOf(manifest)).toEqual(['gateway', 'inventory-x', 'shipping']);
    expect(callersOf('inventory-x', manifest)).toEqual(['gateway', 'shipping']);
    expect(calleesOf('shipping', manifest)).toEqual(['inventory-x']);
    expect(calleesOf('gateway', manifest)).toEqual(['inventory-x', 'shipping']);
    expect(mayCall('shipping', 'inventory-x', 'stockLevels', manifest)).toBe(true);
    expect(mayCall('gateway', 'inventory-x', 'stockLevels', manifest)).toBe(false);
    expect(serviceNamed('shipping', manifest)).toBe('shipping');
    expect(() => serviceNamed('orders', manifest)).toThrow('orders is not a GreenCart service of test.yaml (gateway, inventory-x, shipping)');
    expect(environmentNameOf('inventory-x')).toBe('INVENTORY_X');
  });

  it('refuses callers it does not name, ports taken twice, a routing URL off the port, and an entity announced twice', () => {
    const message = problemsOf(
      twoSubgraphs(`  returns:
    routing_url: http://127.0.0.1:4999/graphql
    schema: { file: ./returns.graphql }
    workspace: subgraphs/returns
    port: 4102
    metrics_port: 9503
    database: greencart_returns
    callers: { graphql: [gateway, billing], events: [gateway] }
    live_entities: [Shipment]
`),
    );
    expect(message).toContain("subgraphs.returns.port: port 4102 is subgraphs.shipping.port's already");
    expect(message).toContain("subgraphs.returns.routing_url: must use the subgraph's port, 4102");
    expect(message).toContain('subgraphs.returns.callers.graphql: billing is no service of this manifest');
    expect(message).toContain('subgraphs.returns.live_entities: Shipment is announced by shipping already');
  });

  it("reads a gateway route's method, GET unless given, and refuses one it does not forward", () => {
    const withRoutes = (routes: string) =>
      twoSubgraphs().replace('callers: { graphql: [gateway], events: [gateway] }', `callers: { graphql: [gateway], events: [gateway], labels: [gateway] }\n    gateway_routes: ${routes}`);
    const manifest = parseServiceManifest(withRoutes('[{ path: /labels/:id, endpoint: labels }, { path: /labels/:id, endpoint: labels, method: PUT }]'), 'test.yaml');
    expect(manifest.subgraphs.find((subgraph) => subgraph.name === 'shipping')?.gatewayRoutes).toEqual([
      { path: '/labels/:id', endpoint: 'labels', method: 'GET' },
      { path: '/labels/:id', endpoint: 'labels', method: 'PUT' },
    ]);
    expect(problemsOf(withRoutes('[{ path: /labels/:id, endpoint: labels, method: DELETE }]'))).toContain('subgraphs.shipping.gateway_routes.0.method');
    expect(problemsOf(withRoutes('[{ path: /labels/:id, endpoint: labels, method: PUT }, { path: /labels/:id, endpoint: labels, method: PUT }]'))).toContain(
      'subgraphs.shipping.gateway_routes: PUT /labels/:id is listed twice',
    );
  });

  it('refuses a route the gateway may not call, and names the fields zod checks', () => {
    expect(problemsOf(twoSubgraphs().replace('live_entities: [Shipment]', 'live_entities: [Shipment]\n    gateway_routes: [{ path: /labels/:id, endpoint: labels }]'))).toContain(
      'subgraphs.shipping.gateway_routes: /labels/:id forwards to labels, which must list the gateway in callers',
    );
    expect(problemsOf(twoSubgraphs().replace('port: 4101\n', 'port: "x"\n'))).toContain('subgraphs.inventory-x.port: Expected number');
    expect(problemsOf(twoSubgraphs().replace('  shipping:\n', '  redis:\n').replace('[gateway, shipping]', '[gateway]').replace('[shipping]', '[gateway]'))).toContain(
      "subgraphs.redis: its variables (REDIS_URL, …_PORT) are GreenCart's already: choose another name",
    );
  });

  it("takes web apps beside the services, and refuses one on a service's port or name, or under a name whose variable is GreenCart's", () => {
    const withWebApps = (entries: string) => `${twoSubgraphs()}web_apps:\n${entries}`;
    expect(parseServiceManifest(withWebApps('  shop: { workspace: shop, port: 5999, persisted_documents: ./shop/src/generated/documents.json }\n')).webApps).toEqual([
      { name: 'shop', workspace: 'shop', port: 5999, persistedDocuments: 'shop/src/generated/documents.json' },
    ]);
    expect(parseServiceManifest(twoSubgraphs()).webApps).toEqual([]);
    expect(problemsOf(withWebApps('  shop: { workspace: shop, port: 4102 }\n'))).toContain("web_apps.shop.port: port 4102 is subgraphs.shipping.port's already");
    expect(problemsOf(withWebApps('  shipping: { workspace: shop, port: 5999 }\n'))).toContain("web_apps.shipping: shipping is a service's name already");
    expect(problemsOf(withWebApps('  public: { workspace: shop, port: 5999 }\n'))).toContain("web_apps.public: its variable (PUBLIC_PORT) is GreenCart's already");
    expect(problemsOf(withWebApps('  shop: { workspace: shop, port: 5999, persisted_documents: ./shop/documents.txt }\n'))).toContain('web_apps.shop.persisted_documents: must be a JSON file');
  });
});
