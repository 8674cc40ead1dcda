import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { repositoryRoot } from '@greencart/platform';

/** The operations frontends send (the contract's), offered as GraphiQL's example tabs. */
export const operationsPath = join(repositoryRoot, 'client', 'src', 'operations.graphql');

const SIGN_IN_VARIABLES = { input: { email: 'admin@greencart.dev', password: 'greencart-admin' } };
const SIGN_IN_HINT = '# Run this, then put the token it returns in Headers below: { "Authorization": "Bearer <token>" }';

/** Each operation of a document, as a document of its own with the fragments it uses. */
export function operationDocuments(source: string): Array<{ operation: OperationDefinitionNode; document: DocumentNode }> {
  const definitions = parse(source).definitions;
  const fragments = new Map(definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]));
  const fragmentsOf = (root: DefinitionNode) => {
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
    collect(root);
    return [...needed.values()];
  };
  return definitions
    .filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({ operation, document: { kind: Kind.DOCUMENT, definitions: [operation, ...fragmentsOf(operation)] } }));
}

/** One tab per operation, with the fragments it uses; signing in comes first. */
export function exampleTabs(source = readFileSync(operationsPath, 'utf8')) {
  const operations = operationDocuments(source);
  const login = operations.find(({ operation }) => operation.name?.value === 'Login');
  const ordered = login ? [login, ...operations.filter((entry) => entry !== login)] : operations;
  return ordered.map((entry) => ({
    query: entry === login ? `${SIGN_IN_HINT}\n${print(entry.document)}` : print(entry.document),
    variables: entry === login ? JSON.stringify(SIGN_IN_VARIABLES, null, 2) : undefined,
  }));
}

let page: string | undefined;

/** GraphiQL, self-contained (its whole bundle is inlined from the npm package): nothing loads from elsewhere. */
export function graphiqlPage(): string {
  page ??= renderGraphiQL({
    title: 'GreenCart GraphiQL',
    endpoint: '/graphql',
    // Subscriptions over the gateway's WebSocket (graphql-transport-ws), events shown as they arrive.
    subscriptionsProtocol: 'WS',
    defaultTabs: exampleTabs(),
    shouldPersistHeaders: true,
  });
  return page;
}
