import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGatewayEnvironment, startGateway, subgraphsOfSupergraph, UnlistedSubgraphError } from '@greencart/gateway';
import {
  buildUserTokenKeySet,
  createLocalUserTokenVerifier,
  createLogger,
  loadServiceCredentials,
  mayCall,
  publishedKeySet,
  readServiceManifest,
  repositoryManifest,
  repositoryRoot,
  SERVICE_TOKEN_HEADER,
  type RunningService,
  type ServiceManifest,
} from '@greencart/platform';
import { composeSupergraph } from '../scripts/lib/supergraph.js';
import { freePort } from './support/ports.js';
import { newSigningKeyPair } from './support/tokens.js';

/**
 * The gateway knows no subgraph by name: given a manifest, it serves a supergraph of subgraphs it
 * has never seen (as federation-gateway-audit runs gateways on made-up subgraphs), and it refuses
 * at start a supergraph holding a subgraph its manifest does not name.
 */

const schemas = {
  'inventory-x': `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type Query { items: [Item!]! }
    type Item @key(fields: "sku") { sku: ID! inStock: Int! }
  `,
  shipping: `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type Item @key(fields: "sku") { sku: ID! shippingEstimate: String! }
  `,
};
const resolvers = {
  'inventory-x': {
    Query: {
      items: () => [
        { sku: 'tea-1', inStock: 7 },
        { sku: 'mug-2', inStock: 0 },
      ],
    },
  },
  shipping: { Item: { __resolveReference: (item: { sku: string }) => ({ sku: item.sku, shippingEstimate: item.sku === 'tea-1' ? '2 days' : 'on order' }) } },
};
type Name = keyof typeof schemas;
/** What each subgraph serves beside GraphQL: shipping prints labels, which the gateway forwards. */
const extras: Record<Name, string> = {
  'inventory-x': '    callers: { graphql: [gateway] }\n',
  shipping: '    callers: { graphql: [gateway], labels: [gateway] }\n    gateway_routes: [{ path: /labels/:id, endpoint: labels }, { path: /labels/:id/scan, endpoint: labels, method: PUT }]\n',
};

/** A manifest for the subgraphs on the given ports (only those named in `listed`). */
function manifestText(ports: Record<Name, number>, listed: Name[]): string {
  const entries = listed.map(
    (name, index) => `  ${name}:
    routing_url: http://127.0.0.1:${ports[name]}/graphql
    schema: { file: ./${name}.graphql }
    workspace: subgraphs/${name}
    port: ${ports[name]}
    metrics_port: ${19_500 + index}
    database: greencart_${name.replace('-', '_')}
${extras[name]}`,
  );
  return `federation_version: =2.14.4\ngateway: { workspace: gateway, port: 4000, metrics_port: 9400 }\nsubgraphs:\n${entries.join('')}`;
}

/** The gateway's cap on a forwarded body in this file: small, so that a test can pass it cheaply. */
const FORWARDED_BODY_CAP = 1024;

let folder: string;
let ports: Record<Name, number>;
let manifest: ServiceManifest;
let supergraphSdl: string;
let gatewayUrl: string;
const callersSeen: Array<{ subgraph: Name; caller: string | undefined }> = [];
const running: Array<() => Promise<unknown>> = [];
const logger = createLogger('gateway', process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent', 'json');

/** Gateway credentials and a verifier as a process builds them, for `manifest`, keys under `folder`. */
async function gatewayDependencies(forManifest: ServiceManifest) {
  const keySet = await buildUserTokenKeySet({ privateKeyPem: (await newSigningKeyPair()).privateKeyPem });
  const { credentials } = await loadServiceCredentials({ service: 'gateway', callerPublicKeys: {}, dataDir: folder, manifest: forManifest });
  return {
    credentials,
    verifier: createLocalUserTokenVerifier({ issuer: 'greencart-accounts', audience: 'greencart', keySet: await publishedKeySet(keySet) }),
    logger,
    production: false,
    subgraphTimeoutMs: 5_000,
    subgraphUrls: {},
  };
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'greencart-manifest-'));
  ports = { 'inventory-x': await freePort(), shipping: await freePort() };
  for (const [name, sdl] of Object.entries(schemas)) await writeFile(join(folder, `${name}.graphql`), sdl);
  await writeFile(join(folder, 'supergraph.yaml'), manifestText(ports, ['inventory-x', 'shipping']));
  manifest = readServiceManifest(join(folder, 'supergraph.yaml'));
  const composed = composeSupergraph(join(folder, 'supergraph.yaml'));
  expect(composed.errors).toEqual([]);
  supergraphSdl = composed.supergraphSdl!;

  // The gateway's key first: loading it publishes its public half into the folder the subgraphs read.
  const gateway = await gatewayDependencies(manifest);
  for (const name of Object.keys(schemas) as Name[]) {
    const { credentials } = await loadServiceCredentials({ service: name, callerPublicKeys: {}, dataDir: folder, manifest });
    const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(schemas[name]), resolvers: resolvers[name] }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
    await server.start();
    const callerOf = (header: string | string[] | undefined) => credentials.verify(typeof header === 'string' ? header : undefined);
    const app = express();
    app.use(
      '/graphql',
      express.json(),
      expressMiddleware(server, {
        // As a GreenCart subgraph does: GraphQL only for the callers the manifest lists, proven by their keys.
        context: async ({ req }) => {
          const caller = await callerOf(req.headers[SERVICE_TOKEN_HEADER]);
          callersSeen.push({ subgraph: name, caller });
          if (!mayCall(caller, name, 'graphql', manifest)) throw new GraphQLError('service credentials required', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
          return {};
        },
      }),
    );
    app.get('/labels/:id', async (req, res) => {
      const caller = await callerOf(req.headers[SERVICE_TOKEN_HEADER]);
      if (!mayCall(caller, name, 'labels', manifest)) return void res.status(403).end();
      res.json({ path: req.path, query: req.query, caller });
    });
    app.put('/labels/:id/scan', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
      const caller = await callerOf(req.headers[SERVICE_TOKEN_HEADER]);
      if (!mayCall(caller, name, 'labels', manifest)) return void res.status(403).end();
      res.status(201).json({ path: req.path, contentType: req.get('content-type'), length: req.get('content-length'), bytes: (req.body as Buffer).toString('utf8'), caller });
    });
    const listening: Server = await new Promise((resolve) => {
      const http = app.listen(ports[name], '127.0.0.1', () => resolve(http));
    });
    running.push(async () => {
      await server.stop();
      await new Promise((resolve) => listening.close(resolve));
    });
  }
  const service: RunningService = await startGateway({ ...gateway, supergraphSdl, manifest, maxForwardedBodyBytes: FORWARDED_BODY_CAP }, { port: 0, host: '127.0.0.1' });
  running.push(() => service.stop());
  gatewayUrl = service.url;
});

afterAll(async () => {
  for (const stop of running.reverse()) await stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('a gateway given a manifest of subgraphs it has never seen', () => {
  it('answers a query that crosses both subgraphs, calling each with service credentials they verify', async () => {
    const response = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ items { sku inStock shippingEstimate } }' }),
    });
    expect(await response.json()).toEqual({
      data: {
        items: [
          { sku: 'tea-1', inStock: 7, shippingEstimate: '2 days' },
          { sku: 'mug-2', inStock: 0, shippingEstimate: 'on order' },
        ],
      },
    });
    expect(new Set(callersSeen.map(({ subgraph }) => subgraph))).toEqual(new Set(['inventory-x', 'shipping']));
    expect(callersSeen.every(({ caller }) => caller === 'gateway')).toBe(true);
  });

  it("forwards a gateway route of the manifest to its subgraph, with the gateway's credentials, and nothing but the route's path", async () => {
    const label = await fetch(`${gatewayUrl}/labels/ab-12?size=a6&copies=2`);
    expect(label.status).toBe(200);
    expect(await label.json()).toEqual({ path: '/labels/ab-12', query: { size: 'a6', copies: '2' }, caller: 'gateway' });
    for (const path of ['/labels/..%2Fgraphql', '/labels/a%2F..%2F..%2Fgraphql', '/labels/%2e%2e']) expect((await fetch(`${gatewayUrl}${path}`)).status, path).toBe(404);
  });

  it('forwards a PUT route with its body, Content-Type and Content-Length, and refuses a body over the cap with 413 before the subgraph sees it', async () => {
    const scan = await fetch(`${gatewayUrl}/labels/ab-12/scan`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'scanned at the depot' });
    expect(scan.status).toBe(201);
    expect(await scan.json()).toEqual({ path: '/labels/ab-12/scan', contentType: 'text/plain', length: '20', bytes: 'scanned at the depot', caller: 'gateway' });
    // Only the route's method is forwarded: a GET of the PUT route's path is no route at all.
    expect((await fetch(`${gatewayUrl}/labels/ab-12/scan`)).status).toBe(404);

    const declaredTooLarge = await fetch(`${gatewayUrl}/labels/ab-12/scan`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(FORWARDED_BODY_CAP + 1) });
    expect(declaredTooLarge.status).toBe(413);
    expect(await declaredTooLarge.json()).toEqual({ errors: [{ message: `The request body is larger than ${FORWARDED_BODY_CAP} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    // Sent in chunks without a Content-Length: counted as it streams, and refused all the same.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let chunk = 0; chunk < 4; chunk++) controller.enqueue(new TextEncoder().encode('y'.repeat(FORWARDED_BODY_CAP / 2)));
        controller.close();
      },
    });
    const streamedTooLarge = await fetch(`${gatewayUrl}/labels/ab-12/scan`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(streamedTooLarge.status).toBe(413);
    expect(((await streamedTooLarge.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it("reads each subgraph's address from its <NAME>_URL variable, named after the manifest", () => {
    expect(subgraphsOfSupergraph(supergraphSdl)).toEqual(['inventory-x', 'shipping']);
    expect(readGatewayEnvironment({ INVENTORY_X_URL: 'http://inventory:4101' }, manifest).subgraphUrls).toEqual({ 'inventory-x': 'http://inventory:4101' });
    expect(readGatewayEnvironment({ ORDERS_URL: 'http://orders:4002', PRODUCTS_URL: 'http://products:4003' }, repositoryManifest()).subgraphUrls).toEqual({
      orders: 'http://orders:4002',
      products: 'http://products:4003',
    });
    expect(() => readGatewayEnvironment({ SHIPPING_URL: 'not a url' }, manifest)).toThrow('SHIPPING_URL');
  });
});

describe('a web app of the manifest, with the production safelist on', () => {
  it("runs the app's persisted documents, by the hash the app sends and in full, and nothing else", async () => {
    // As GraphQL Code Generator's client preset writes them: its own printing of each document, by SHA-256.
    const text = 'query ShopItems { items { sku inStock } }';
    const hash = createHash('sha256').update(text).digest('hex');
    await writeFile(join(folder, 'shop-documents.json'), JSON.stringify({ [hash]: text }));
    await writeFile(
      join(folder, 'with-shop.yaml'),
      `${manifestText(ports, ['inventory-x', 'shipping'])}web_apps:\n  shop: { workspace: shop, port: 5999, persisted_documents: ${join(folder, 'shop-documents.json')} }\n`,
    );
    const withShop = readServiceManifest(join(folder, 'with-shop.yaml'));
    expect(withShop.webApps).toEqual([{ name: 'shop', workspace: 'shop', port: 5999, persistedDocuments: join(folder, 'shop-documents.json') }]);
    const service = await startGateway({ ...(await gatewayDependencies(withShop)), supergraphSdl, manifest: withShop, safelist: true }, { port: 0, host: '127.0.0.1' });
    running.push(() => service.stop());
    const post = async (body: unknown) => {
      const response = await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await response.json()) as { data?: unknown; errors?: Array<{ extensions: { code: string } }> };
    };
    const items = {
      items: [
        { sku: 'tea-1', inStock: 7 },
        { sku: 'mug-2', inStock: 0 },
      ],
    };
    expect(await post({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).toEqual({ data: items });
    expect(await post({ query: 'query ShopItems {\n  items {\n    sku\n    inStock\n  }\n}' })).toEqual({ data: items });
    expect((await post({ query: 'query ShopItems { items { sku inStock shippingEstimate } }' })).errors?.[0]?.extensions.code).toBe('OPERATION_NOT_IN_SAFELIST');
  });
});

describe('a supergraph with a subgraph the manifest does not name', () => {
  it('is refused at start, with a message that says where and how to add it', async () => {
    await writeFile(join(folder, 'partial.yaml'), manifestText(ports, ['inventory-x']));
    const partial = readServiceManifest(join(folder, 'partial.yaml'));
    const error = await startGateway({ ...(await gatewayDependencies(partial)), supergraphSdl, manifest: partial }, { port: 0, host: '127.0.0.1' }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(UnlistedSubgraphError);
    expect((error as UnlistedSubgraphError).code).toBe('SUBGRAPH_NOT_IN_MANIFEST');
    expect((error as Error).message).toBe(
      `The supergraph has a subgraph that ${join(folder, 'partial.yaml')} does not name: shipping. Add it under \`subgraphs:\` in ${join(folder, 'partial.yaml')} with routing_url, schema.file, workspace, port, metrics_port, database and callers (at least \`graphql: [gateway]\`), then run \`npm run compose\` (docs/architecture.md, "The service manifest").`,
    );
  });

  it("stops the gateway process at start, in one line that names the repository's manifest", async () => {
    await writeFile(join(folder, 'supergraph.graphql'), supergraphSdl);
    const gateway = spawn(process.execPath, ['--conditions=@greencart/source', '--import', 'tsx', join(repositoryRoot, 'gateway/src/index.ts')], {
      cwd: repositoryRoot,
      env: { ...process.env, SUPERGRAPH_PATH: join(folder, 'supergraph.graphql'), GREENCART_DATA_DIR: join(folder, 'process-data'), PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    gateway.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => gateway.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('gateway failed to start: The supergraph has subgraphs that supergraph.yaml does not name: inventory-x, shipping. Add each under `subgraphs:` in supergraph.yaml');
    // A process of its own: loading the gateway through tsx passed 30 s on a busy 2-core machine.
  }, 120_000);
});
