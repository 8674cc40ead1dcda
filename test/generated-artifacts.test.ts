import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, Kind, parse, validate, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { executeCodegen } from '@graphql-codegen/cli';
import { printSchema as printFederationSchema, Supergraph } from '@apollo/federation-internals';
import codegenConfig from '../codegen.js';
import { composeSupergraph, repositoryRoot, supergraphSchemaPath } from '../scripts/lib/supergraph.js';

describe('supergraph.graphql', () => {
  it('composes from supergraph.yaml without errors and is committed up to date (npm run compose)', () => {
    const { supergraphSdl, errors } = composeSupergraph();
    expect(errors).toEqual([]);
    expect(supergraphSdl).toBe(readFileSync(supergraphSchemaPath, 'utf8'));
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

describe.runIf(existsSync(contractPath))('the API contract (../shared/contract)', () => {
  it('validates every contract operation against the composed API schema', () => {
    // Apollo's internals use their own copy of graphql: print the API schema and rebuild it with ours.
    const apiSchema = buildSchema(printFederationSchema(Supergraph.build(readFileSync(supergraphSchemaPath, 'utf8')).apiSchema()));
    const contract = parse(readFileSync(contractPath, 'utf8'));
    const operations = contract.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const fragments = new Map(
      contract.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
    );
    const withFragments = (operation: DefinitionNode): DocumentNode => {
      const needed = new Map<string, FragmentDefinitionNode>();
      const collect = (node: DefinitionNode) =>
        visit(node, {
          FragmentSpread(spread) {
            const fragment = fragments.get(spread.name.value);
            if (fragment && !needed.has(fragment.name.value)) {
              needed.set(fragment.name.value, fragment);
              collect(fragment);
            }
          },
        });
      collect(operation);
      return { kind: Kind.DOCUMENT, definitions: [operation, ...needed.values()] };
    };

    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
      const errors = validate(apiSchema, withFragments(operation)).map((error) => error.message);
      expect(errors, operation.name?.value).toEqual([]);
    }
  });
});
