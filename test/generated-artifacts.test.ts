import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, print, validate } from 'graphql';
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

const operationsOf = (path: string) =>
  parse(readFileSync(path, 'utf8'))
    .definitions.map((definition) => print(definition))
    .sort();

describe.runIf(existsSync(contractPath))('the API contract (../shared/contract)', () => {
  it("is what the repository's operation documents hold (client/src/operations.graphql)", () => {
    expect(operationsOf(clientOperationsPath)).toEqual(operationsOf(contractPath));
  });

});

describe("the operations frontends send (client/src/operations.graphql, the contract's)", () => {
  it('validates every operation against the composed API schema', () => {
    // Apollo's internals use their own copy of graphql: print the API schema and rebuild it with ours.
    const apiSchema = buildSchema(printFederationSchema(Supergraph.build(readFileSync(supergraphSchemaPath, 'utf8')).apiSchema()));
    const operations = operationDocuments(readFileSync(clientOperationsPath, 'utf8'));
    expect(operations.length).toBeGreaterThan(0);
    for (const { operation, document } of operations) {
      const errors = validate(apiSchema, document).map((error) => error.message);
      expect(errors, operation.name?.value).toEqual([]);
    }
  });
});
