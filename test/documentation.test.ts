import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSchema, parse, validate, type GraphQLObjectType, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '@greencart/platform';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RATE_LIMITS, DEFAULT_REQUEST_LIMITS, DEFAULT_SUBSCRIPTION_LIMITS, DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS } from '@greencart/gateway';

/**
 * The repository's documentation stands on its own, and docs/api.md, the API reference frontend teams read, kept in step with the published schema
 * (client/schema.graphql) and the client's operations: every public root field is described, every
 * operation it names is one of the client's and validates, and its limits are the defaults.
 */
const reference = readFileSync(join(repositoryRoot, 'docs', 'api.md'), 'utf8');
const schema = buildSchema(readFileSync(join(repositoryRoot, 'client', 'schema.graphql'), 'utf8'));
const operations = parse(readFileSync(join(repositoryRoot, 'client', 'src', 'operations.graphql'), 'utf8'));
const clientOperations = new Map(
  operations.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition').map((operation) => [operation.name!.value, operation]),
);

describe('the API reference (docs/api.md)', () => {
  it('describes every public root field of the schema', () => {
    const rootFields = ['Query', 'Mutation', 'Subscription'].flatMap((name) => Object.keys((schema.getType(name) as GraphQLObjectType | undefined)?.getFields() ?? {}));
    expect(rootFields.length).toBeGreaterThan(30);
    const undocumented = rootFields.filter((field) => !new RegExp(`\\*\\*\`${field}[(\`]`).test(reference));
    expect(undocumented).toEqual([]);
  });

  it('names only operations the client sends, each of which validates against the schema, and names them all', () => {
    // As the reference writes them: **`field(…)`** (`OperationName`).
    const named = [...reference.matchAll(/\*\*\s+\(`([A-Z][A-Za-z]+)`[,)]/g)].map((match) => match[1]!);
    expect(named.filter((name) => !clientOperations.has(name))).toEqual([]);
    expect([...clientOperations.keys()].filter((name) => !named.includes(name))).toEqual([]);
    expect(validate(schema, operations)).toEqual([]);
  });

  it('states the default limits the gateway applies', () => {
    const row = (label: string, value: string) => expect(reference).toContain(`| ${label} | ${value} |`);
    row('query depth', String(DEFAULT_REQUEST_LIMITS.maxDepth));
    row('aliases', String(DEFAULT_REQUEST_LIMITS.maxAliases));
    row('directives', String(DEFAULT_REQUEST_LIMITS.maxDirectives));
    row('tokens in a document', DEFAULT_REQUEST_LIMITS.maxTokens.toLocaleString('en-US'));
    row('cost (fields × page sizes)', DEFAULT_REQUEST_LIMITS.maxCost.toLocaleString('en-US'));
    row('request body', `${DEFAULT_MAX_BODY_BYTES / 1024} KiB`);
    row('requests per client address', `bursts of ${DEFAULT_RATE_LIMITS.perAddress.burst}, ${DEFAULT_RATE_LIMITS.perAddress.perSecond} a second`);
    row('requests per signed-in customer', `bursts of ${DEFAULT_RATE_LIMITS.perCustomer.burst}, ${DEFAULT_RATE_LIMITS.perCustomer.perSecond} a second`);
    row('subscriptions', `${DEFAULT_SUBSCRIPTION_LIMITS.perConnection} per connection, ${DEFAULT_SUBSCRIPTION_LIMITS.perCustomer} per customer`);
    // A WebSocket message may be as large as a request body, unless WEBSOCKET_MAX_FRAME_BYTES says otherwise.
    row('WebSocket message', `${DEFAULT_MAX_BODY_BYTES / 1024} KiB`);
    row('WebSocket connections per client address', String(DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS));
  });
});

describe('the documentation', () => {
  const documents = [
    'README.md',
    'BENCHMARKS.md',
    ...readdirSync(join(repositoryRoot, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];

  it('links only to files the repository has', () => {
    const broken: string[] = [];
    for (const document of documents) {
      const text = readFileSync(join(repositoryRoot, document), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
        if (/^(https?|mailto):/.test(target!)) continue;
        if (!existsSync(join(repositoryRoot, dirname(document), target!))) broken.push(`${document} → ${target}`);
      }
    }
    expect(documents.length).toBeGreaterThan(4);
    expect(broken).toEqual([]);
  });

  it('sends no reader, and no source comment, outside the repository', () => {
    // The one exception: the test that compares the client's operations with the shared contract, where it is checked out.
    const files = execFileSync('git', ['ls-files'], { cwd: repositoryRoot, encoding: 'utf8' })
      .split('\n')
      .filter((file) => /\.(md|ts|graphql|ya?ml|json)$|Dockerfile$/.test(file) && file !== 'test/generated-artifacts.test.ts' && file !== 'test/documentation.test.ts');
    const pointing = files.filter((file) => existsSync(join(repositoryRoot, file)) && /\.\.\/shared\b|shared\/contract|shared\/tools/.test(readFileSync(join(repositoryRoot, file), 'utf8')));
    expect(files.length).toBeGreaterThan(100);
    expect(pointing).toEqual([]);
  });
});
