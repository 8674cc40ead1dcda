import { createRequire } from 'node:module';
import type { DirectiveNode, DocumentNode, FragmentDefinitionNode, InlineFragmentNode, OperationDefinitionNode, SelectionNode, SelectionSetNode } from 'graphql';
import { ErrorCode } from '@greencart/platform';

// Apollo Server recognises only its own (CommonJS) copy's GraphQLError; see limits.ts.
const { BREAK, GraphQLError, Kind, valueFromASTUntyped, visit } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const DEFER = 'defer';

/** The label the gateway gives a `@defer` the client left unlabelled (never shown to the client). */
const GENERATED_LABEL_PREFIX = '__greencart_defer_';

/** Whether a label is one the gateway made up, which the client must not see. */
export const isGeneratedLabel = (label: string): boolean => label.startsWith(GENERATED_LABEL_PREFIX);

/**
 * One operation made ready to plan and answer in parts: its fragments spread inline (so every
 * `@defer` is one place in one tree), each `@defer` that applies given a unique label and no `if`,
 * and those whose `if` is false removed.
 */
export interface DeferredOperation {
  operation: OperationDefinitionNode;
  /** The operation alone, as a document for the planner. */
  document: DocumentNode;
}

const holdsDefer = new WeakMap<DocumentNode, boolean>();

/** Whether any `@defer` is written in a document (remembered per parsed document: this is on every request's path). */
export function documentHasDefer(document: DocumentNode): boolean {
  let holds = holdsDefer.get(document);
  if (holds === undefined) {
    let found = false;
    visit(document, {
      Directive(directive) {
        if (directive.name.value !== DEFER) return undefined;
        found = true;
        return BREAK;
      },
    });
    holds = found;
    holdsDefer.set(document, holds);
  }
  return holds;
}

/**
 * The operation `operationName` of `document` with its `@defer`s resolved for these variables, or
 * undefined when none applies (then the operation runs as any other). Throws BAD_USER_INPUT when a
 * label is used twice: each deferred part is named by its label.
 */
export function deferredOperation(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> = {}): DeferredOperation | undefined {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'query') return undefined;
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  // The `if` of @defer may be a variable the request left to its default.
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) values[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  Object.assign(values, variables);

  const labels: string[] = [];
  /** A fragment's directives with its @defer resolved: dropped, or labelled and unconditional. */
  const resolveDefer = (directives: readonly DirectiveNode[] | undefined): DirectiveNode[] => {
    const others = (directives ?? []).filter((directive) => directive.name.value !== DEFER);
    const defer = directives?.find((directive) => directive.name.value === DEFER);
    if (!defer) return others;
    const argument = (name: string) => {
      const node = defer.arguments?.find((candidate) => candidate.name.value === name)?.value;
      return node ? valueFromASTUntyped(node, values) : undefined;
    };
    if (argument('if') === false) return others;
    const given = argument('label');
    if (typeof given === 'string' && (labels.includes(given) || isGeneratedLabel(given))) {
      throw new GraphQLError(`The label "${given}" is given to more than one @defer (or starts with ${GENERATED_LABEL_PREFIX}); each deferred fragment needs its own.`, {
        extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
      });
    }
    const label = typeof given === 'string' ? given : `${GENERATED_LABEL_PREFIX}${labels.length}`;
    labels.push(label);
    return [...others, deferDirective(label)];
  };

  const resolve = (selectionSet: SelectionSetNode): SelectionSetNode => ({
    ...selectionSet,
    selections: selectionSet.selections.map((selection): SelectionNode => {
      if (selection.kind === Kind.FIELD) return selection.selectionSet ? { ...selection, selectionSet: resolve(selection.selectionSet) } : selection;
      // A named fragment becomes an inline one with the spread's directives.
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : undefined;
      const inline: InlineFragmentNode =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection
          : {
              kind: Kind.INLINE_FRAGMENT,
              typeCondition: fragment?.typeCondition,
              directives: selection.directives,
              selectionSet: fragment?.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] },
            };
      // The label first, so that labels are numbered in document order.
      const directives = resolveDefer(inline.directives);
      return { ...inline, directives, selectionSet: resolve(inline.selectionSet) };
    }),
  });

  const resolved: OperationDefinitionNode = { ...operation, selectionSet: resolve(operation.selectionSet) };
  if (labels.length === 0) return undefined;
  return { operation: resolved, document: { kind: Kind.DOCUMENT, definitions: [resolved] } };
}

function deferDirective(label: string): DirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: DEFER },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'label' }, value: { kind: Kind.STRING, value: label } }],
  };
}

/** The label of a resolved `@defer` fragment (see deferredOperation), or undefined for any other selection. */
export function deferLabelOf(selection: SelectionNode): string | undefined {
  if (selection.kind !== Kind.INLINE_FRAGMENT) return undefined;
  const value = selection.directives?.find((directive) => directive.name.value === DEFER)?.arguments?.[0]?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

const withoutDefer = (directives: readonly DirectiveNode[] | undefined) => directives?.filter((directive) => directive.name.value !== DEFER);

/** A selection set without its deferred fragments (they are sent in parts of their own). */
export function withoutDeferred(selectionSet: SelectionSetNode): SelectionSetNode {
  return {
    ...selectionSet,
    selections: selectionSet.selections
      .filter((selection) => deferLabelOf(selection) === undefined)
      .map((selection) => ('selectionSet' in selection && selection.selectionSet ? { ...selection, selectionSet: withoutDeferred(selection.selectionSet) } : selection)),
  };
}

function holdsLabel(selectionSet: SelectionSetNode, label: string): boolean {
  return selectionSet.selections.some(
    (selection) => deferLabelOf(selection) === label || ('selectionSet' in selection && selection.selectionSet !== undefined && holdsLabel(selection.selectionSet, label)),
  );
}

/**
 * The selections that answer one deferred fragment from the root: the fields on the way to it
 * (aliases, arguments and @include/@skip kept), then the fragment's own selections without the
 * fragments deferred inside it. Nothing else.
 */
export function selectionsOfDeferred(selectionSet: SelectionSetNode, label: string): SelectionSetNode {
  const selections: SelectionNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD || !selection.selectionSet) continue;
    if (deferLabelOf(selection) === label) {
      selections.push({ ...selection, directives: withoutDefer(selection.directives), selectionSet: withoutDeferred(selection.selectionSet) } as SelectionNode);
    } else if (holdsLabel(selection.selectionSet, label)) {
      selections.push({ ...selection, directives: withoutDefer(selection.directives), selectionSet: selectionsOfDeferred(selection.selectionSet, label) } as SelectionNode);
    }
  }
  return { ...selectionSet, selections };
}

/** A response path: field names (aliases) and list indices. */
export type ResponsePath = Array<string | number>;

/**
 * Where one deferred fragment applies in a response: the path of every object it is spread on,
 * found by walking `data` (the response it is deferred from) along the operation to the fragment.
 */
export function deferredPaths(data: unknown, selectionSet: SelectionSetNode, label: string): ResponsePath[] {
  const paths: ResponsePath[] = [];
  const walkValue = (value: unknown, inner: SelectionSetNode, path: ResponsePath) => {
    if (Array.isArray(value)) value.forEach((item, index) => walkValue(item, inner, [...path, index]));
    else if (value !== null && typeof value === 'object') walkObject(value as Record<string, unknown>, inner, path);
  };
  const walkObject = (object: Record<string, unknown>, inner: SelectionSetNode, path: ResponsePath) => {
    for (const selection of inner.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD || !selection.selectionSet) continue;
      if (deferLabelOf(selection) === label) paths.push(path);
      else if (holdsLabel(selection.selectionSet, label)) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          walkValue(object[key], selection.selectionSet, [...path, key]);
        } else walkObject(object, selection.selectionSet, path);
      }
    }
  };
  walkValue(data, selectionSet, []);
  return paths;
}
