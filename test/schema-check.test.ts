import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repositoryRoot } from '@greencart/platform';
import { checkSchemaChange, clientOperationFiles, composedApiSchema, describeReport } from '../scripts/lib/schema-check.js';
import { apiSchemaPath } from '../scripts/lib/supergraph.js';

// `npm run schema:check` as a team uses it: change a subgraph's schema, compose, and learn which
// client operations the change would break. Each case edits a temporary copy of the subgraphs'
// schemas and supergraph.yaml, never the repository's.

const committed = readFileSync(apiSchemaPath, 'utf8');
const operations = clientOperationFiles();
const copies: string[] = [];
afterEach(() => copies.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** supergraph.yaml and every subgraph's schema in a temporary folder, products' edited by `edit`. */
function subgraphsWithProductsSchema(edit: (schema: string) => string): string {
  const folder = mkdtempSync(join(tmpdir(), 'greencart-schema-check-'));
  copies.push(folder);
  cpSync(join(repositoryRoot, 'supergraph.yaml'), join(folder, 'supergraph.yaml'));
  cpSync(join(repositoryRoot, 'subgraphs'), join(folder, 'subgraphs'), { recursive: true, filter: (source) => !source.includes('node_modules') && !/\/(src|test|migrations|dist)(\/|$)/.test(source) });
  const products = join(folder, 'subgraphs', 'products', 'schema.graphql');
  const before = readFileSync(products, 'utf8');
  const after = edit(before);
  expect(after, 'the edit changed the schema').not.toBe(before);
  writeFileSync(products, after);
  return join(folder, 'supergraph.yaml');
}

const checkAgainstCommitted = async (config: string, operationFiles = operations) => checkSchemaChange(committed, composedApiSchema(config), operationFiles);

describe('npm run schema:check', () => {
  it('passes on the repository as committed', () => {
    const run = spawnSync('npm', ['run', '--silent', 'schema:check'], { cwd: repositoryRoot, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('schema check passed');
  });

  it('refuses a removed field that a client operation selects, naming the operation', async () => {
    const config = subgraphsWithProductsSchema((schema) => schema.replace(/\n\s*"""\s*A description of the product \(may be empty\)\.\s*"""\s*\n\s*description: String!(?: @public)?/, ''));
    const report = await checkAgainstCommitted(config);
    console.info(describeReport(report));
    expect(report.breaking.map(({ change, operations: used }) => [change.path, used])).toEqual([
      [
        'Product.description',
        [
          'Product (client/src/operations.graphql)',
          'CreateProduct (client/src/operations.graphql)',
          'UpdateProduct (client/src/operations.graphql)',
          'ProductPage (client/src/operations.graphql)',
          'ProductPage (storefront/src/routes/product.graphql)',
        ],
      ],
    ]);
    // An invoice line's description is another type's field: Invoice does not break.
    expect(report.breaking[0]!.operations.join()).not.toContain('Invoice');

    // The same break as the command line reports it: exit code 1, the operation named.
    const run = spawnSync('npm', ['run', '--silent', 'schema:check', '--', '--config', config], { cwd: repositoryRoot, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("BREAKING Field 'description' was removed from object type 'Product' (Product.description): used by Product (client/src/operations.graphql)");
    expect(run.stderr).toContain('schema check failed');
  });

  it('refuses a retyped field and a new required argument, naming every operation that uses them', async () => {
    const retyped = await checkAgainstCommitted(subgraphsWithProductsSchema((schema) => schema.replace(/\n(\s*)stock: Int!/, '\n$1stock: String!')));
    const stock = retyped.breaking.find(({ change }) => change.path === 'Product.stock');
    expect(stock?.operations).toEqual(expect.arrayContaining(['Products (client/src/operations.graphql)', 'Product (client/src/operations.graphql)']));

    const required = await checkAgainstCommitted(subgraphsWithProductsSchema((schema) => schema.replace(/(\n\s*products\()/, '$1currency: String!, ')));
    expect(required.breaking.map(({ change }) => change.path)).toEqual(['Query.products.currency']);
    expect(required.breaking[0]!.operations).toContain('Products (client/src/operations.graphql)');
    expect(required.breaking[0]!.operations).not.toContain('Product (client/src/operations.graphql)');
  });

  it('accepts a deliberate break when the operation that used the field changes in the same commit', async () => {
    const config = subgraphsWithProductsSchema((schema) => schema.replace(/\n\s*"""\s*A description of the product \(may be empty\)\.\s*"""\s*\n\s*description: String!(?: @public)?/, ''));
    const changedOperations = join(copies[0]!, 'operations.graphql');
    // Every selection of Product.description dropped; InvoiceLine's stays.
    const withoutProductDescription = readFileSync(operations[0]!, 'utf8')
      .replace(/\n\s*description\n/g, '\n')
      .replaceAll(' name description price ', ' name price ');
    writeFileSync(changedOperations, withoutProductDescription);
    const report = await checkAgainstCommitted(config, [changedOperations]);
    expect(report.breaking).toEqual([]);
    expect(report.unusedBreaking.map((change) => change.path)).toEqual(['Product.description']);
  });

  it('accepts an additive change', async () => {
    const report = await checkAgainstCommitted(
      subgraphsWithProductsSchema((schema) => schema.replace(/\n(\s*)stock: Int!( @public)?/, '\n$1stock: Int!$2\n\n$1"""The weight of one unit, in grams, where known."""\n$1weightGrams: Int')),
    );
    expect(report.breaking).toEqual([]);
    expect(report.unusedBreaking).toEqual([]);
    expect(report.safe.map((change) => change.message)).toContain("Field 'weightGrams' was added to object type 'Product'");
  });
});
