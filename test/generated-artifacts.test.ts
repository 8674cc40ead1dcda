import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, print, validate, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { executeCodegen } from '@graphql-codegen/cli';
import { printSchema as printFederationSchema, Supergraph } from '@apollo/federation-internals';
import codegenConfig from '../codegen.js';
import { buildPersistedDocuments, operationDocuments, persistedDocumentsPath } from '@greencart/gateway';
import { apiSchemaOf, apiSchemaPath, composeSupergraph, repositoryRoot, supergraphSchemaPath } from '../scripts/lib/supergraph.js';

const clientOperationsPath = join(repositoryRoot, 'client', 'src', 'operations.graphql');

describe('supergraph.graphql', () => {
  it('composes from supergraph.yaml without errors and is committed up to date (npm run compose)', () => {
    const { supergraphSdl, errors } = composeSupergraph();
    expect(errors).toEqual([]);
    expect(supergraphSdl).toBe(readFileSync(supergraphSchemaPath, 'utf8'));
  });

  it("gives clients its API schema (client/schema.graphql), committed up to date", () => {
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

describe('generated resolver types', () => {
  it('match the subgraph schemas (npm run codegen)', async () => {
    const { result, error } = await executeCodegen({ ...codegenConfig, cwd: repositoryRoot, silent: true } as Parameters<typeof executeCodegen>[0]);
    expect(error).toBeNull();
    expect(result.length).toBe(Object.keys(codegenConfig.generates).length);
    for (const file of result) {
      expect(file.content, `${file.filename} is stale: run npm run codegen`).toBe(readFileSync(join(repositoryRoot, file.filename), 'utf8'));
    }
  });
});

const contractPath = join(repositoryRoot, '..', 'shared', 'contract', 'operations.graphql');

/** Apollo's internals use their own copy of graphql: print the API schema and rebuild it with ours. */
const apiSchema = () => buildSchema(printFederationSchema(Supergraph.build(readFileSync(supergraphSchemaPath, 'utf8')).apiSchema()));

/** Whether the schema accepts an operation: graphql-js 16 validates a subscription even where the schema has no Subscription type. */
const accepts = (schema: GraphQLSchema, { operation, document }: ReturnType<typeof operationDocuments>[number]) =>
  schema.getRootType(operation.operation) !== undefined && validate(schema, document).length === 0;

/** Operations, each printed with the fragments it uses, in a stable order. */
const printed = (entries: ReturnType<typeof operationDocuments>) => entries.map(({ document }) => document.definitions.map((definition) => print(definition)).join('\n\n')).sort();

describe.runIf(existsSync(contractPath))('the API contract (../shared/contract)', () => {
  it("is what the repository's operation documents hold, as far as the composed schema accepts it (client/src/operations.graphql)", () => {
    // The contract grows ahead of the schema: an operation the schema does not accept yet is
    // pending (printed, so each slice of work shows what is left), and the client must not hold it.
    const schema = apiSchema();
    const contract = operationDocuments(readFileSync(contractPath, 'utf8'));
    const accepted = contract.filter((entry) => accepts(schema, entry));
    const pending = contract.filter((entry) => !accepted.includes(entry)).map(({ operation }) => operation.name?.value ?? 'anonymous');
    if (pending.length > 0) console.info(`contract operations the composed schema does not accept yet: ${pending.join(', ')}`);
    expect(printed(operationDocuments(readFileSync(clientOperationsPath, 'utf8')))).toEqual(printed(accepted));
  });
});

describe("the operations frontends send (client/src/operations.graphql, the contract's)", () => {
  it('validates every operation against the composed API schema', () => {
    const schema = apiSchema();
    const operations = operationDocuments(readFileSync(clientOperationsPath, 'utf8'));
    expect(operations.length).toBeGreaterThan(0);
    for (const entry of operations) {
      expect(validate(schema, entry.document).map((error) => error.message), entry.operation.name?.value).toEqual([]);
      expect(accepts(schema, entry), entry.operation.name?.value).toBe(true);
    }
  });
});
