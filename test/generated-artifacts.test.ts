import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, Kind, parse, print, validate, type FragmentDefinitionNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { executeCodegen } from '@graphql-codegen/cli';
import codegenConfig from '../codegen.js';
import { buildPersistedDocuments, documentHash, operationDocuments, persistedDocumentsPath } from '@greencart/gateway';
import { apiSchemaOf, apiSchemaPath, composeSupergraph, repositoryRoot, supergraphSchemaPath } from '../scripts/lib/supergraph.js';

const clientOperationsPath = join(repositoryRoot, 'client', 'src', 'operations.graphql');

describe('supergraph.graphql', () => {
  it('composes from supergraph.yaml without errors and is committed up to date (npm run compose)', () => {
    const { supergraphSdl, errors } = composeSupergraph();
    expect(errors).toEqual([]);
    expect(supergraphSdl).toBe(readFileSync(supergraphSchemaPath, 'utf8'));
  });

  it('gives clients its API schema (client/schema.graphql), committed up to date', () => {
    const api = readFileSync(apiSchemaPath, 'utf8');
    expect(api).toBe(apiSchemaOf(readFileSync(supergraphSchemaPath, 'utf8')));
    expect(api).not.toMatch(/reserveStock|processorToken|_entities|join__/);
  });
});

describe('the persisted-documents manifest (client/persisted-documents.json)', () => {
  it('holds exactly the client operations (npm run codegen)', () => {
    const manifest = JSON.parse(readFileSync(persistedDocumentsPath, 'utf8'));
    expect(manifest).toEqual(buildPersistedDocuments(readFileSync(clientOperationsPath, 'utf8')));
    expect(Object.keys(manifest)).toHaveLength(parse(readFileSync(clientOperationsPath, 'utf8')).definitions.filter((definition) => definition.kind === 'OperationDefinition').length);
  });
});

const storefrontGenerated = 'storefront/src/generated/';

describe('generated code: resolver types, the SDK, the storefront', () => {
  it('matches the subgraph schemas and the operation documents (npm run codegen)', async () => {
    const { result, error } = await executeCodegen({ ...codegenConfig, cwd: repositoryRoot, silent: true } as Parameters<typeof executeCodegen>[0]);
    expect(error).toBeNull();
    // Each entry writes one file, or (the storefront's client preset, named by its folder) several.
    for (const target of Object.keys(codegenConfig.generates)) {
      const written = result.filter((file) => (target.endsWith('/') ? file.filename.startsWith(target) : file.filename === target));
      expect(written.length, `${target} generated nothing`).toBeGreaterThan(0);
    }
    for (const file of result) {
      expect(file.content, `${file.filename} is stale: run npm run codegen`).toBe(readFileSync(join(repositoryRoot, file.filename), 'utf8'));
    }
    // A file codegen no longer writes (a removed operation's, say) would still be imported and shipped.
    const storefrontFiles = result.filter((file) => file.filename.startsWith(storefrontGenerated)).map((file) => file.filename.slice(storefrontGenerated.length));
    expect(readdirSync(join(repositoryRoot, storefrontGenerated)).sort(), `${storefrontGenerated} holds files npm run codegen does not write`).toEqual(storefrontFiles.sort());
  });

  it("names each of the storefront's persisted documents by the SHA-256 of its text, as Apollo's persisted queries and the gateway do", () => {
    const manifest = JSON.parse(readFileSync(join(repositoryRoot, storefrontGenerated, 'persisted-documents.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(manifest).length).toBeGreaterThan(0);
    for (const [hash, text] of Object.entries(manifest)) expect(hash, text).toBe(documentHash(text));
  });
});

const contractPath = join(repositoryRoot, '..', 'shared', 'contract', 'operations.graphql');

/** Apollo's internals use their own copy of graphql: the API schema printed (with @defer, as the gateway serves it) and rebuilt with ours. */
const apiSchema = () => buildSchema(apiSchemaOf(readFileSync(supergraphSchemaPath, 'utf8')));

/** Whether the schema accepts an operation: graphql-js 16 validates a subscription even where the schema has no Subscription type. */
const accepts = (schema: GraphQLSchema, { operation, document }: ReturnType<typeof operationDocuments>[number]) =>
  schema.getRootType(operation.operation) !== undefined && validate(schema, document).length === 0;

/**
 * Every field an operation asks for, as a path of fields with their aliases and arguments, fragments
 * inlined: two operations ask for the same data when these are equal, whatever their fragments.
 */
function fieldPaths({ operation, document }: ReturnType<typeof operationDocuments>[number]): Set<string> {
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const paths = new Set<string>();
  const walk = (selectionSet: SelectionSetNode | undefined, prefix: string) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const path = `${prefix} / ${print({ ...selection, selectionSet: undefined })}`;
        paths.add(path);
        walk(selection.selectionSet, path);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, `${prefix} / ... on ${selection.typeCondition?.name.value ?? ''}`);
      } else {
        walk(fragments.get(selection.name.value)?.selectionSet, prefix);
      }
    }
  };
  walk(operation.selectionSet, operation.operation);
  return paths;
}

describe.runIf(existsSync(contractPath))('the API contract (../shared/contract)', () => {
  it("is what the repository's operation documents hold, as far as the composed schema accepts it: each operation asks for at least what the contract's asks (client/src/operations.graphql)", () => {
    // The contract grows ahead of the schema: an operation the schema does not accept yet is
    // pending (printed, so each slice of work shows what is left), and the client must not hold it.
    const schema = apiSchema();
    const contract = operationDocuments(readFileSync(contractPath, 'utf8'));
    const accepted = contract.filter((entry) => accepts(schema, entry));
    const pending = contract.filter((entry) => !accepted.includes(entry)).map(({ operation }) => operation.name?.value ?? 'anonymous');
    if (pending.length > 0) console.info(`contract operations the composed schema does not accept yet: ${pending.join(', ')}`);

    // The client's operations are the contract's, by name, kind and variables; one may ask for
    // more (the Product page also shows what was bought together), never for less.
    const client = new Map(operationDocuments(readFileSync(clientOperationsPath, 'utf8')).map((entry) => [entry.operation.name?.value, entry]));
    expect([...client.keys()].sort()).toEqual(accepted.map(({ operation }) => operation.name?.value).sort());
    const signature = ({ operation }: ReturnType<typeof operationDocuments>[number]) =>
      `${operation.operation} (${(operation.variableDefinitions ?? []).map((variable) => print(variable)).join(', ')})`;
    for (const entry of accepted) {
      const name = entry.operation.name?.value;
      const mine = client.get(name)!;
      expect(signature(mine), name).toBe(signature(entry));
      const asked = fieldPaths(mine);
      expect(
        [...fieldPaths(entry)].filter((path) => !asked.has(path)),
        `${name} asks for less than the contract's`,
      ).toEqual([]);
    }
  });

  it("asks for more than the contract's operations only where the repository means to (the Product page's boughtTogether, the invoice's print link)", () => {
    const contract = new Map(operationDocuments(readFileSync(contractPath, 'utf8')).map((entry) => [entry.operation.name?.value, fieldPaths(entry)]));
    const additions = operationDocuments(readFileSync(clientOperationsPath, 'utf8')).flatMap((entry) =>
      [...fieldPaths(entry)].filter((path) => !contract.get(entry.operation.name?.value)?.has(path)).map((path) => `${entry.operation.name?.value}: ${path}`),
    );
    expect(additions).toEqual([
      'Product: query / product(id: $id) / boughtTogether',
      'Product: query / product(id: $id) / boughtTogether / id',
      'Product: query / product(id: $id) / boughtTogether / name',
      'Product: query / product(id: $id) / boughtTogether / price',
      'Product: query / product(id: $id) / boughtTogether / price / amount',
      'Product: query / product(id: $id) / boughtTogether / price / currencyCode',
      'Product: query / product(id: $id) / boughtTogether / inStock',
      // Without it no persisted document reaches the printable invoice, and production runs only those.
      'Invoice: query / invoice(id: $id) / printUrl',
    ]);
  });
});

describe("the operations frontends send (client/src/operations.graphql, the contract's)", () => {
  it('validates every operation against the composed API schema', () => {
    const schema = apiSchema();
    const operations = operationDocuments(readFileSync(clientOperationsPath, 'utf8'));
    expect(operations.length).toBeGreaterThan(0);
    for (const entry of operations) {
      expect(
        validate(schema, entry.document).map((error) => error.message),
        entry.operation.name?.value,
      ).toEqual([]);
      expect(accepts(schema, entry), entry.operation.name?.value).toBe(true);
    }
  });
});
