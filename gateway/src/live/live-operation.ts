import { createRequire } from 'node:module';
import type { DocumentNode, FieldNode, OperationDefinitionNode, VariableDefinitionNode } from 'graphql';

// The gateway's schema and documents belong to Apollo's CommonJS copy of graphql (see limits.ts).
const { Kind, print } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** The subscription fields the gateway serves, each by the query that reads its entity by id. */
export const LIVE_FIELDS = {
  orderUpdated: { typename: 'Order', queryField: 'order' },
  productUpdated: { typename: 'Product', queryField: 'product' },
} as const;
export type LiveField = keyof typeof LIVE_FIELDS;

/** The variable that carries the changed entity's id into a product subscription's query. */
export const ENTITY_ID_VARIABLE = 'greencartChangedId';

/** A subscriber's operation, rewritten as the query the gateway runs for each change. */
export interface LiveOperation {
  field: LiveField;
  /** Where the entity goes in each event's `data` (the field's alias, or its name). */
  responseKey: string;
  /** The query text: the subscription's selection under `order(id:)` or `product(id:)`. */
  query: string;
  /** The subscription field as written (its arguments literals or variables), for the caller to read. */
  node: FieldNode;
  /** The subscriber's variables the query still declares (not productUpdated's `ids`): what its answer depends on. */
  queryVariables: string[];
}

/**
 * `subscription S($id: ID!) { orderUpdated(id: $id) { …selection } }` becomes
 * `query S($id: ID!) { orderUpdated: order(id: $id) { …selection } }`, run with the subscriber's
 * token and variables for each change, so that the selection is planned across the subgraphs,
 * authorised and partially failed exactly as a query is. `productUpdated(ids:)` reads one product
 * per change, by the variable ENTITY_ID_VARIABLE. Undefined when the operation is not one field
 * of those (validation has already refused anything else the schema does not hold).
 */
export function liveOperation(document: DocumentNode, operation: OperationDefinitionNode): LiveOperation | undefined {
  const [root, ...others] = operation.selectionSet.selections;
  if (!root || others.length > 0 || root.kind !== Kind.FIELD || !(root.name.value in LIVE_FIELDS)) return undefined;
  const field = root.name.value as LiveField;
  const responseKey = root.alias?.value ?? field;
  const byId = field === 'productUpdated';
  const queryRoot: FieldNode = {
    ...root,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: LIVE_FIELDS[field].queryField },
    arguments: byId ? [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ENTITY_ID_VARIABLE } } }] : root.arguments,
  };
  const idVariable: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ENTITY_ID_VARIABLE } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  // The `ids` variable, if any, is no longer used by the query; an unused variable is invalid.
  const usedVariables = byId ? (operation.variableDefinitions ?? []).filter((definition) => !usesOnlyIn(root, definition.variable.name.value)) : operation.variableDefinitions;
  const query: OperationDefinitionNode = {
    ...operation,
    operation: 'query' as OperationDefinitionNode['operation'],
    variableDefinitions: byId ? [...(usedVariables ?? []), idVariable] : usedVariables,
    selectionSet: { ...operation.selectionSet, selections: [queryRoot] },
  };
  const definitions = document.definitions
    .map((definition) => (definition === operation ? query : definition))
    .filter((definition) => definition.kind !== Kind.OPERATION_DEFINITION || definition === query);
  const queryVariables = (usedVariables ?? []).map((definition) => definition.variable.name.value);
  return { field, responseKey, query: print({ kind: Kind.DOCUMENT, definitions }), node: root, queryVariables };
}

/** Whether a variable appears in the field's own arguments and nowhere in its selection. */
function usesOnlyIn(root: FieldNode, name: string): boolean {
  const mention = new RegExp(`\\$${name}\\b`);
  const inArguments = (root.arguments ?? []).some((argument) => mention.test(print(argument.value)));
  const inSelection = root.selectionSet ? mention.test(print(root.selectionSet)) : false;
  return inArguments && !inSelection;
}
