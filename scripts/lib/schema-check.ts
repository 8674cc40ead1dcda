import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { createRequire } from 'node:module';
import type { GraphQLInputType, GraphQLNamedType, GraphQLSchema } from 'graphql';
import { apiSchemaOf, apiSchemaPath, composeSupergraph, repositoryRoot, supergraphConfigPath } from './supergraph.js';

// GraphQL Inspector compares schemas of the copy of graphql that Node resolves (CommonJS); one
// built by another copy (Vitest's ESM one) is refused, so build them with that same copy.
const { buildSchema, getNamedType, isInputObjectType, Kind, parse, TypeInfo, typeFromAST, visit, visitWithTypeInfo } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/**
 * `npm run schema:check`: what a change to the subgraphs' schemas does to the clients. The
 * supergraph is composed from the working tree and its API schema compared, with GraphQL
 * Inspector, with the committed one; a breaking change (a field removed or retyped, a new required
 * argument or input field, an enum value removed) fails the check when an operation that clients
 * ship uses what it breaks, and the failure names each such operation. A break that no operation
 * uses passes, said as a warning; so does every additive change.
 */

/** Where the operations clients ship are kept: the SDK's, and any of the storefront's. */
export function clientOperationFiles(root = repositoryRoot): string[] {
  const files = [join(root, 'client', 'src', 'operations.graphql')];
  const storefront = join(root, 'storefront', 'src');
  if (existsSync(storefront)) {
    for (const entry of readdirSync(storefront, { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.graphql') && !entry.split(/[\\/]/).includes('generated')) files.push(join(storefront, entry));
    }
  }
  return files.filter((file) => existsSync(file));
}

/** One operation clients send: its name and file, and the schema coordinates it uses. */
export interface ClientOperation {
  name: string;
  file: string;
  /** `Type.field` for every field it selects or fills (input fields), and `Type` for every type it touches. */
  uses: Set<string>;
}

/** The input types a variable of `type` may carry, nested input objects included. */
function inputTypesOf(type: GraphQLInputType, into: Set<string>): void {
  const named = getNamedType(type);
  if (into.has(named.name)) return;
  into.add(named.name);
  if (isInputObjectType(named)) for (const field of Object.values(named.getFields())) inputTypesOf(field.type, into);
}

/** Reads each operation of a file, with what it uses of `schema` (the schema it was written for). */
export function readClientOperations(schema: GraphQLSchema, files: string[]): ClientOperation[] {
  const operations: ClientOperation[] = [];
  for (const file of files) {
    const document = parse(readFileSync(file, 'utf8'));
    const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
    for (const operation of document.definitions) {
      if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
      const uses = new Set<string>();
      const typeInfo = new TypeInfo(schema);
      const touch = (type: GraphQLNamedType | null | undefined) => type && uses.add(type.name);
      // The operation with every fragment it may spread: unused ones cost a little over-reporting, never a miss.
      visit(
        { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] },
        visitWithTypeInfo(typeInfo, {
          Field() {
            const parent = typeInfo.getParentType();
            const field = typeInfo.getFieldDef();
            if (!parent || !field) return;
            uses.add(`${parent.name}.${field.name}`);
            touch(parent);
            touch(getNamedType(field.type));
          },
          Argument() {
            const argument = typeInfo.getArgument();
            if (argument) inputTypesOf(argument.type, uses);
          },
          VariableDefinition(definition) {
            const type = typeFromAST(schema, definition.type as Parameters<typeof typeFromAST>[1]) as GraphQLInputType | undefined;
            if (type) inputTypesOf(type, uses);
          },
        }),
      );
      operations.push({ name: operation.name?.value ?? '(anonymous)', file: relative(repositoryRoot, file), uses });
    }
  }
  return operations;
}

/** Whether a change at `path` (`Type`, `Type.member` or `Type.field.argument`) reaches an operation that uses `uses`. */
function reaches(path: string | undefined, schema: GraphQLSchema, uses: Set<string>): boolean {
  if (!path) return false;
  const [typeName = '', member, argument] = path.split('.');
  if (argument !== undefined || member === undefined) return argument !== undefined ? uses.has(`${typeName}.${member}`) : uses.has(typeName);
  // Input fields and enum values matter to every operation that carries or receives the type.
  const type = schema.getType(typeName);
  return type && 'getFields' in type && !isInputObjectType(type) ? uses.has(`${typeName}.${member}`) : uses.has(typeName);
}

export interface SchemaCheckReport {
  /** Breaking changes that client operations use, each with the operations it breaks. */
  breaking: Array<{ change: Change; operations: string[] }>;
  /** Breaking changes no client operation uses: allowed, worth a look. */
  unusedBreaking: Change[];
  /** Everything else: additions, descriptions, dangerous-but-compatible changes. */
  safe: Change[];
}

/** Compares two API schemas for the given client operations (read against the old one). */
export async function checkSchemaChange(oldSdl: string, newSdl: string, operationFiles: string[]): Promise<SchemaCheckReport> {
  const oldSchema = buildSchema(oldSdl);
  const newSchema = buildSchema(newSdl);
  const operations = readClientOperations(oldSchema, operationFiles);
  const report: SchemaCheckReport = { breaking: [], unusedBreaking: [], safe: [] };
  for (const change of await diff(oldSchema, newSchema)) {
    if (change.criticality.level !== CriticalityLevel.Breaking) {
      report.safe.push(change);
      continue;
    }
    const broken = operations.filter((operation) => reaches(change.path, oldSchema, operation.uses)).map((operation) => `${operation.name} (${operation.file})`);
    if (broken.length > 0) report.breaking.push({ change, operations: broken });
    else report.unusedBreaking.push(change);
  }
  return report;
}

/**
 * The committed API schema: `client/schema.graphql` at `base` (a git revision, default HEAD), or
 * the working tree's file where there is no git history (an unpacked archive).
 */
export function committedApiSchema(base = 'HEAD', root = repositoryRoot): string {
  const path = relative(root, apiSchemaPath).split('\\').join('/');
  try {
    return execFileSync('git', ['show', `${base}:${path}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return readFileSync(apiSchemaPath, 'utf8');
  }
}

/** The API schema the working tree's subgraphs compose into; throws with composition's errors. */
export function composedApiSchema(configPath = supergraphConfigPath): string {
  const composed = composeSupergraph(configPath);
  if (!composed.supergraphSdl) throw new Error(`The subgraphs do not compose:\n${composed.errors.join('\n')}`);
  return apiSchemaOf(composed.supergraphSdl);
}

/** The report as a person reads it, one change a line. */
export function describeReport(report: SchemaCheckReport): string {
  const lines: string[] = [];
  for (const { change, operations } of report.breaking) lines.push(`BREAKING ${change.message} (${change.path}): used by ${operations.join(', ')}`);
  for (const change of report.unusedBreaking) lines.push(`breaking, but no client operation uses it: ${change.message} (${change.path})`);
  for (const change of report.safe) lines.push(`${change.criticality.level === CriticalityLevel.Dangerous ? 'dangerous' : 'safe'}: ${change.message}`);
  return lines.join('\n');
}
