import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery, Lexer, print, Source, TokenKind } from 'graphql';
import { repositoryRoot } from '@greencart/platform';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_LIMITS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS,
  exceedsTokenLimit,
  normalizedDocument,
  operationDocuments,
  operationsPath,
  readGatewayEnvironment,
  rememberedRequestLimitErrors,
  requestLimitErrors,
} from '@greencart/gateway';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The production defaults, spelled out: the tests below are built one step either side of them.
const { maxDepth, maxAliases, maxDirectives, maxTokens, maxCost } = DEFAULT_REQUEST_LIMITS;

let supergraph: TestSupergraph;
let customer: { token: string };
let admin: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  customer = await supergraph.registerCustomer();
  admin = await supergraph.adminToken();
});
afterAll(() => supergraph?.stop());

const subgraphStatements = () => Object.values(supergraph.statements).reduce((sum, counter) => sum + counter.count, 0);
const resetStatements = () => Object.values(supergraph.statements).forEach((counter) => counter.reset());

/** Sends a query that must be refused over `limit` (BAD_USER_INPUT, HTTP 400) before any subgraph did any work. */
async function expectRefused(query: string, message: RegExp, variables: Record<string, unknown> = {}) {
  resetStatements();
  const response = await supergraph.request(query, variables);
  expect(response.status).toBe(400);
  expect(response.data ?? null).toBeNull();
  expect(response.errors).toHaveLength(1);
  expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(response.errors?.[0]?.message).toMatch(message);
  expect(subgraphStatements(), 'no subgraph may work on a refused request').toBe(0);
}

/** Sends a query that must pass the limits and run. */
async function expectAccepted(query: string, variables: Record<string, unknown> = {}) {
  resetStatements();
  const response = await supergraph.request(query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.status).toBe(200);
  expect(subgraphStatements()).toBeGreaterThan(0);
  return response.data;
}

const recommendations = (levels: number) => `${'recommendations { '.repeat(levels)}id${' }'.repeat(levels)}`;
const tokenCount = (source: string) => {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
};

describe('depth', () => {
  // products, edges, node: 3 levels; then the recommendations chain, then id.
  const plain = (depth: number) => `{ products(first: 2) { edges { node { ${recommendations(depth - 4)} } } } }`;
  const inFragments = (depth: number) => `
    query { products(first: 2) { edges { node { ...Deep } } } }
    fragment Deep on Product { ... on Product { recommendations { ...Deeper } } }
    fragment Deeper on Product { ... on Product { ${recommendations(depth - 5)} } }`;

  it(`accepts a query ${maxDepth} deep and refuses one ${maxDepth + 1} deep`, async () => {
    await expectAccepted(plain(maxDepth));
    await expectRefused(plain(maxDepth + 1), new RegExp(`^Query depth limit of ${maxDepth} exceeded, found ${maxDepth + 1}\\.$`));
  });

  it('counts the fields inside fragments and inline fragments, but not the fragments themselves', async () => {
    await expectAccepted(inFragments(maxDepth));
    await expectRefused(inFragments(maxDepth + 1), /depth limit/);
  });
});

describe('aliases', () => {
  const aliased = (count: number, from = 0) => Array.from({ length: count }, (_, index) => `a${from + index}: categories { id }`).join(' ');

  it(`accepts ${maxAliases} aliases and refuses ${maxAliases + 1}`, async () => {
    await expectAccepted(`{ ${aliased(maxAliases)} }`);
    await expectRefused(`{ ${aliased(maxAliases + 1)} }`, new RegExp(`^Aliases limit of ${maxAliases} exceeded, found ${maxAliases + 1}\\.$`));
  });

  it('counts aliases hidden in fragments, once for each place the fragment is spread', async () => {
    const half = Math.ceil((maxAliases + 1) / 2);
    // Spread twice, the fragment's aliases count twice: the gateway resolves each spread.
    const twice = `query { ...Half products(first: 1) { edges { node { category { ...Nested } } } } }
      fragment Half on Query { ${aliased(half)} }
      fragment Nested on Category { ... on Category { ${Array.from({ length: half }, (_, index) => `n${index}: name`).join(' ')} } }`;
    await expectRefused(twice, /Aliases limit/);
    await expectRefused(`query { ...A ...A } fragment A on Query { ${aliased(half)} }`, /Aliases limit/);
    await expectAccepted(`query { ...A } fragment A on Query { ... on Query { ${aliased(maxAliases)} } }`);
  });
});

describe('directives', () => {
  const withDirectives = (count: number) => `{ categories { ${'id @include(if: true) '.repeat(count)}} }`;

  it(`accepts ${maxDirectives} directives and refuses ${maxDirectives + 1}`, async () => {
    await expectAccepted(withDirectives(maxDirectives));
    await expectRefused(withDirectives(maxDirectives + 1), new RegExp(`^Directives limit of ${maxDirectives} exceeded, found ${maxDirectives + 1}\\.$`));
  });

  it('counts directives inside fragments and on spreads', async () => {
    const query = `{ categories { ...F @include(if: true) } } fragment F on Category { ${'name @skip(if: false) '.repeat(maxDirectives)}}`;
    await expectRefused(query, /Directives limit/);
  });
});

describe('tokens', () => {
  /**
   * A document of exactly `total` tokens that passes every other limit: one operation that runs
   * (`Run`, 8 tokens plus padding) and as many 5-token operations beside it as fit.
   */
  const documentOf = (total: number) => {
    const others = Math.floor((total - 8) / 5);
    const padding = total - 8 - others * 5;
    const text = [`query Run { categories { id } ${'__typename '.repeat(padding)}}`, ...Array.from({ length: others }, (_, index) => `query Q${index} { __typename }`)].join('\n');
    expect(tokenCount(text)).toBe(total);
    return text;
  };
  const post = (body: unknown) => fetch(`${supergraph.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it(`accepts a document of ${maxTokens} tokens and refuses one of ${maxTokens + 1} before parsing it`, async () => {
    resetStatements();
    const accepted = await post({ query: documentOf(maxTokens), operationName: 'Run' });
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { data: { categories: unknown[] } }).data.categories.length).toBeGreaterThan(0);

    resetStatements();
    const refused = await post({ query: documentOf(maxTokens + 1), operationName: 'Run' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ errors: [{ message: `Token limit of ${maxTokens} exceeded.`, extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(subgraphStatements()).toBe(0);
  });

  it('counts tokens of a query sent with GET too', async () => {
    const url = `${supergraph.gatewayUrl}/graphql?${new URLSearchParams({ query: documentOf(maxTokens + 1), operationName: 'Run' })}`;
    const refused = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('leaves a syntax error met within the limit to Apollo (GRAPHQL_PARSE_FAILED), however long the text', async () => {
    const response = await supergraph.request(`{ categories { id ) ${'name '.repeat(maxTokens)}} }`);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(exceedsTokenLimit('{ categories { id name } }', 6)).toBe(true);
    expect(exceedsTokenLimit('{ categories { id name } }', 7)).toBe(false);
  });
});

describe('cost', () => {
  // GraphQL Armor's cost of one product of this page (a scalar 1, an object 2, ×1.5 a level);
  // the page costs it times the page size.
  const fields = 'id sku name description stock inStock price { amount currencyCode } category { id name productCount }';
  const page = `query Page($first: Int) { products(first: $first) { edges { node { ${fields} recommendations { ${fields} recommendations { ${fields} recommendations { ${fields} } } } } } } }`;
  const PER_PRODUCT = 521.4453125;
  const largest = Math.floor(maxCost / PER_PRODUCT);

  it(`accepts the largest page within ${maxCost} and refuses one product more`, async () => {
    expect(largest).toBeLessThan(100); // the step is a page size the API would otherwise allow
    const data = await expectAccepted(page, { first: largest });
    expect(data.products.edges.length).toBeGreaterThan(0);
    await expectRefused(page, new RegExp(`^Query Cost limit of ${maxCost} exceeded, found ${(largest + 1) * PER_PRODUCT}\\.$`), { first: largest + 1 });
  });

  it('counts the page size however it is given: a literal, a variable, or a variable’s default', async () => {
    const over = largest + 1;
    await expectRefused(page.replace('($first: Int)', '').replace('first: $first', `first: ${over}`), /Cost limit/);
    await expectRefused(page.replace('($first: Int)', `($first: Int = ${over})`), /Cost limit/);
  });
});

describe('the client’s operations', () => {
  // Built by the copy of graphql Apollo uses, as the gateway's schema is (see gateway/src/limits.ts).
  const { buildSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');
  const schema = buildSchema(readFileSync(join(repositoryRoot, 'client', 'schema.graphql'), 'utf8'));
  const operations = operationDocuments(readFileSync(operationsPath, 'utf8'));

  it('every one passes the default limits, with pages of 100', () => {
    expect(operations.length).toBeGreaterThan(25);
    for (const { operation, document } of operations) {
      const name = operation.name?.value;
      expect(requestLimitErrors(schema, document, { first: 100 }, DEFAULT_REQUEST_LIMITS), name).toEqual([]);
      expect(exceedsTokenLimit(normalizedDocument(document), maxTokens), name).toBe(false);
      // Room to spare: each would pass limits a third tighter.
      // (Aliases: an image's widths, such as `small: url(width: 320)`; directives: ProductPage's @defer.)
      const tighter = {
        maxDepth: Math.floor(maxDepth * 0.7),
        maxAliases: Math.floor(DEFAULT_REQUEST_LIMITS.maxAliases * 0.7),
        maxDirectives: Math.floor(DEFAULT_REQUEST_LIMITS.maxDirectives * 0.7),
        maxTokens: Math.floor(maxTokens / 3),
        maxCost: Math.floor(maxCost * 0.75),
      };
      expect(requestLimitErrors(schema, document, { first: 100 }, tighter), name).toEqual([]);
      expect(exceedsTokenLimit(print(document), tighter.maxTokens), name).toBe(false);
    }
  });

  it('remembered per document, each page size still gets its own answer', () => {
    const { parse } = createRequire(import.meta.url)('graphql') as typeof import('graphql');
    const limits = { ...DEFAULT_REQUEST_LIMITS, maxCost: 2_000 };
    const check = rememberedRequestLimitErrors(limits);
    const document = parse('query Page($first: Int = 10) { products(first: $first) { edges { node { id name category { name } } } } }');
    const messages = (variables?: Record<string, unknown>) => check(schema, document, variables).map((error) => error.message);
    for (let round = 0; round < 2; round++) {
      expect(messages({ first: 10 })).toEqual([]);
      expect(messages({ first: 500 })).toEqual([expect.stringMatching(/Cost limit/)]);
      expect(messages()).toEqual([]); // the default, 10
      expect(messages({ first: null })).toEqual(requestLimitErrors(schema, document, { first: null }, limits).map((error) => error.message));
    }
    // The same answers as checking afresh.
    for (const first of [10, 500]) expect(messages({ first })).toEqual(requestLimitErrors(schema, document, { first }, limits).map((error) => error.message));
    expect(check(schema, document, { first: 500 })[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('the largest pages run through the gateway, and first over 100 is refused by every subgraph that pages', async () => {
    const run = (name: string, first: number, token: string) => {
      const entry = operations.find(({ operation }) => operation.name?.value === name)!;
      return supergraph.request(print(entry.document), { first }, { token });
    };
    for (const name of ['Products', 'Orders', 'Invoices']) {
      const full = await run(name, 100, admin);
      expect(full.errors, `${name}: ${JSON.stringify(full.errors)}`).toBeUndefined();
      const over = await run(name, 101, customer.token);
      expect(
        over.errors?.map((error) => error.extensions?.code),
        name,
      ).toEqual(['BAD_USER_INPUT']);
    }
    const nested = await supergraph.request('{ me { orders(first: 101) { totalCount } } }', {}, { token: customer.token });
    expect(nested.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('GraphiQL’s introspection query passes the limits in development', async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const response = await supergraph.request(query);
    expect(response.errors).toBeUndefined();
    expect(response.data.__schema.queryType.name).toBe('Query');
  });
});

describe('the HTTP request', () => {
  const post = (body: string) => fetch(`${supergraph.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  /** A JSON body of exactly `bytes` bytes: a small query and a variable nobody reads. */
  const bodyOf = (bytes: number) => {
    const shell = JSON.stringify({ query: '{ categories { id } }', variables: { padding: '' } });
    return JSON.stringify({ query: '{ categories { id } }', variables: { padding: 'x'.repeat(bytes - shell.length) } });
  };

  it(`reads a body of ${DEFAULT_MAX_BODY_BYTES} bytes and refuses a larger one with 413`, async () => {
    expect(Buffer.byteLength(bodyOf(DEFAULT_MAX_BODY_BYTES))).toBe(DEFAULT_MAX_BODY_BYTES);
    const accepted = await post(bodyOf(DEFAULT_MAX_BODY_BYTES));
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { data: { categories: unknown[] } }).data.categories.length).toBeGreaterThan(0);

    resetStatements();
    const refused = await post(bodyOf(DEFAULT_MAX_BODY_BYTES + 1));
    expect(refused.status).toBe(413);
    expect(await refused.json()).toEqual({ errors: [{ message: `The request body is larger than ${DEFAULT_MAX_BODY_BYTES} bytes.`, extensions: { code: 'BAD_REQUEST' } }] });
    expect(subgraphStatements()).toBe(0);
    // The gateway goes on answering.
    expect((await supergraph.request('{ categories { id } }')).status).toBe(200);
  });

  it('refuses a batch (an array of operations) before any subgraph is asked', async () => {
    resetStatements();
    const response = await post(JSON.stringify([{ query: '{ categories { id } }' }, { query: '{ categories { name } }' }]));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0]!.message).toMatch(/batching/i);
    expect(subgraphStatements()).toBe(0);
  });
});

describe('the deadline', () => {
  let slow: TestSupergraph;
  beforeAll(async () => {
    // 1 ms: every request outlives it, whatever the machine.
    slow = await startSupergraph({ requestTimeoutMs: 1 });
  });
  afterAll(() => slow?.stop());

  it('answers REQUEST_TIMEOUT (HTTP 504) when a request outlives REQUEST_TIMEOUT_MS, and keeps answering', async () => {
    const query = `{ products(first: 100) { edges { node { id name category { name productCount } recommendations { name category { name } recommendations { name } } } } } categories { id name productCount } }`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await slow.request(query);
      expect(response.status).toBe(504);
      expect(response.data ?? null).toBeNull();
      expect(response.errors).toEqual([{ message: 'The request did not finish within 1 ms.', extensions: { code: 'REQUEST_TIMEOUT' } }]);
    }
    expect((await fetch(`${slow.gatewayUrl}/health`)).status).toBe(200);
  });
});

describe('configuration', () => {
  it('reads every limit from the environment, with the defaults above', () => {
    const defaults = readGatewayEnvironment({});
    expect(defaults).toMatchObject({
      REQUEST_MAX_DEPTH: maxDepth,
      REQUEST_MAX_ALIASES: maxAliases,
      REQUEST_MAX_DIRECTIVES: maxDirectives,
      REQUEST_MAX_TOKENS: maxTokens,
      REQUEST_MAX_COST: maxCost,
      REQUEST_MAX_BODY_BYTES: DEFAULT_MAX_BODY_BYTES,
      REQUEST_TIMEOUT_MS: DEFAULT_REQUEST_TIMEOUT_MS,
      RATE_LIMIT_ADDRESS_BURST: 100,
      RATE_LIMIT_ADDRESS_PER_SECOND: 100,
      RATE_LIMIT_CUSTOMER_BURST: 100,
      RATE_LIMIT_CUSTOMER_PER_SECOND: 100,
      WEBSOCKET_CONNECTIONS_PER_ADDRESS: DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS,
    });
    // Unset, a WebSocket message may be as large as a request body (index.ts passes REQUEST_MAX_BODY_BYTES).
    expect(defaults.WEBSOCKET_MAX_FRAME_BYTES).toBeUndefined();
    expect(
      readGatewayEnvironment({
        REQUEST_MAX_DEPTH: '12',
        REQUEST_MAX_BODY_BYTES: '1048576',
        RATE_LIMIT_CUSTOMER_PER_SECOND: '0.5',
        WEBSOCKET_MAX_FRAME_BYTES: '65536',
        WEBSOCKET_CONNECTIONS_PER_ADDRESS: '200',
      }),
    ).toMatchObject({
      REQUEST_MAX_DEPTH: 12,
      REQUEST_MAX_BODY_BYTES: 1_048_576,
      RATE_LIMIT_CUSTOMER_PER_SECOND: 0.5,
      WEBSOCKET_MAX_FRAME_BYTES: 65_536,
      WEBSOCKET_CONNECTIONS_PER_ADDRESS: 200,
    });
  });

  it('reports every bad limit together', () => {
    const bad = {
      REQUEST_MAX_DEPTH: '0',
      REQUEST_MAX_COST: 'lots',
      REQUEST_TIMEOUT_MS: '1.5',
      RATE_LIMIT_ADDRESS_PER_SECOND: '-1',
      WEBSOCKET_MAX_FRAME_BYTES: '100',
      WEBSOCKET_CONNECTIONS_PER_ADDRESS: '0',
    };
    const problem = (() => {
      try {
        readGatewayEnvironment(bad);
      } catch (error) {
        return String(error);
      }
    })();
    for (const variable of Object.keys(bad)) expect(problem).toContain(variable);
  });
});
