import { createRequire } from 'node:module';
import type { RequestHandler } from 'express';
import type { ArgumentNode, DocumentNode, GraphQLError as GraphQLErrorType, GraphQLSchema, ValidationContext, ValidationRule } from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GatewayExecutionResult, GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { ErrorCode, refuse } from '@greencart/platform';

// The gateway's schema is built by Apollo's CommonJS copy of graphql; TypeInfo and validate refuse a
// schema from another copy (as an ESM import of graphql can be under vitest), so use that one.
const { BREAK, GraphQLError, Kind, TypeInfo, validate, visit, visitWithTypeInfo } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** What one GraphQL request may ask of the gateway (GraphQL Armor's checks, see docs/operations.md). */
export interface RequestLimits {
  /** Nesting of fields; fragments and inline fragments add no level of their own. */
  maxDepth: number;
  /** Aliased fields, counted once per use of the fragment that holds them. */
  maxAliases: number;
  /** Directives (`@include`, `@skip`, …), counted like aliases. */
  maxDirectives: number;
  /** Lexical tokens of the document, counted before it is parsed. */
  maxTokens: number;
  /** GraphQL Armor's cost: 1 a scalar, 2 an object, ×1.5 a level, × the page size (`first`). */
  maxCost: number;
}

/**
 * The gateway's defaults: every operation of the client (client/src/operations.graphql) passes
 * them with room to spare, pages of 100 included (test/limits.test.ts).
 */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxDepth: 10, maxAliases: 15, maxDirectives: 20, maxTokens: 2_000, maxCost: 50_000 };

/** The largest JSON body the gateway reads (express.json's limit), in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** How long the gateway works on one request before it answers REQUEST_TIMEOUT. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The page-size arguments GraphQL Armor's cost multiplies by. */
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last']);

function limitError(message: string): GraphQLErrorType {
  // Armor words every refusal as a "Syntax Error"; these are limits, the syntax was fine.
  return new GraphQLError(message.replace(/^Syntax Error: /, ''), { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
}

function armorRules(limits: RequestLimits): ValidationRule[] {
  const reject = { propagateOnRejection: false, onReject: [(context: ValidationContext | null, error: GraphQLErrorType) => context?.reportError(limitError(error.message))] };
  return [
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...reject }),
    // Aliases of __typename count too: Armor lets them pass by default, and 500 of them cost as much to answer as any.
    maxAliasesRule({ n: limits.maxAliases, allowList: [], ...reject }),
    maxDirectivesRule({ n: limits.maxDirectives, ...reject }),
    costLimitRule({ maxCost: limits.maxCost, flattenFragments: true, ...reject }),
  ];
}

/**
 * The document with every page size written out: GraphQL Armor's cost reads `first` only from
 * literals, so a page size given in a variable, or left to the schema's default, would cost
 * nothing. A variable that holds no integer counts as the schema's default.
 */
export function withPageSizes(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> = {}): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  const variableDefaults = new Map<string, unknown>();
  visit(document, {
    VariableDefinition(definition) {
      if (definition.defaultValue?.kind === Kind.INT) variableDefaults.set(definition.variable.name.value, Number(definition.defaultValue.value));
    },
  });
  const pageSize = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? ({ kind: Kind.INT, value: String(value) } as const) : undefined);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        const definition = typeInfo.getFieldDef();
        if (!definition) return undefined;
        let changed = false;
        const argumentsOut: ArgumentNode[] = [];
        for (const argument of definition.args.filter((candidate) => PAGE_SIZE_ARGUMENTS.has(candidate.name))) {
          const given = field.arguments?.find((node) => node.name.value === argument.name)?.value;
          if (given?.kind === Kind.INT) continue; // a literal: Armor reads it
          const name = given?.kind === Kind.VARIABLE ? given.name.value : undefined;
          const fromVariable = name === undefined ? undefined : name in variables ? variables[name] : variableDefaults.get(name);
          const value = pageSize(fromVariable) ?? pageSize(argument.defaultValue);
          if (value) {
            argumentsOut.push({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: argument.name }, value });
            changed = true;
          }
        }
        if (!changed) return undefined;
        const written = new Set(argumentsOut.map((argument) => argument.name.value));
        return { ...field, arguments: [...argumentsOut, ...(field.arguments ?? []).filter((argument) => !written.has(argument.name.value))] };
      },
    }),
  );
}

/**
 * Checks one parsed and validated document against the limits (all but tokens, which are counted
 * before parsing): the errors to answer with, none when it may run.
 */
export function requestLimitErrors(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, limits: RequestLimits): readonly GraphQLErrorType[] {
  return validate(schema, withPageSizes(schema, document, variables), armorRules(limits));
}

/** The variables a document passes as page sizes (`first: $n`): the only variables its limits depend on. */
function pageSizeVariables(schema: GraphQLSchema, document: DocumentNode): string[] {
  const typeInfo = new TypeInfo(schema);
  const names = new Set<string>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        for (const argument of typeInfo.getFieldDef()?.args ?? []) {
          if (!PAGE_SIZE_ARGUMENTS.has(argument.name)) continue;
          const given = field.arguments?.find((node) => node.name.value === argument.name)?.value;
          if (given?.kind === Kind.VARIABLE) names.add(given.name.value);
        }
      },
    }),
  );
  return [...names].sort();
}

/** Distinct page-size combinations remembered per document; more are checked each time. */
const REMEMBERED_PAGE_SIZES_PER_DOCUMENT = 32;

/**
 * requestLimitErrors, remembered per document and page sizes. Apollo Server hands the gateway the
 * same parsed document for the same query text, so a client's repeated operation is checked once
 * per page size rather than walked by four validation rules on every request.
 */
export function rememberedRequestLimitErrors(limits: RequestLimits) {
  const byDocument = new WeakMap<DocumentNode, { schema: GraphQLSchema; pageVariables: string[]; messages: Map<string, string[]> }>();
  return (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined): readonly GraphQLErrorType[] => {
    let entry = byDocument.get(document);
    if (!entry || entry.schema !== schema) {
      entry = { schema, pageVariables: pageSizeVariables(schema, document), messages: new Map() };
      byDocument.set(document, entry);
    }
    // Absent and null differ: an absent variable takes its default.
    const key = JSON.stringify(entry.pageVariables.map((name) => (variables && name in variables ? [variables[name]] : [])));
    let messages = entry.messages.get(key);
    if (!messages) {
      messages = requestLimitErrors(schema, document, variables, limits).map((error) => error.message);
      if (entry.messages.size < REMEMBERED_PAGE_SIZES_PER_DOCUMENT) entry.messages.set(key, messages);
    }
    return messages.map((message) => limitError(message));
  };
}

/** Whether a GraphQL document has more than `maxTokens` tokens (a syntax error is not this check's business). */
export function exceedsTokenLimit(source: string, maxTokens: number): boolean {
  // Every token takes at least one character: a short text needs no counting.
  if (source.length <= maxTokens) return false;
  let exceeded = false;
  try {
    new MaxTokensParserWLexer(source, { n: maxTokens, onReject: [() => (exceeded = true)], propagateOnRejection: true }).parseDocument();
  } catch {
    // Over the limit (exceeded is set), or a syntax error that Apollo answers as usual.
  }
  return exceeded;
}

/**
 * Refuses a document over the token limit before anything parses it (Apollo, the safelist), so a
 * huge document costs the gateway no more than reading `maxTokens` tokens.
 */
export function tokenLimit(maxTokens: number): RequestHandler {
  return (req, res, next) => {
    const source: unknown = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof source !== 'string' || !exceedsTokenLimit(source, maxTokens)) return next();
    refuse(res, 400, `Token limit of ${maxTokens} exceeded.`, ErrorCode.BAD_USER_INPUT);
  };
}

const nulChecked = new WeakMap<DocumentNode, boolean>();

/**
 * Whether a parsed document holds a NUL character in any string, however the text wrote it
 * (`\u0000`, `\u{0}`): the JSON check sees only the escape, and PostgreSQL text cannot hold one.
 */
export function documentHoldsNul(document: DocumentNode): boolean {
  let holds = nulChecked.get(document);
  if (holds === undefined) {
    holds = false;
    visit(document, {
      StringValue(node) {
        if (node.value.includes('\u0000')) {
          holds = true;
          return BREAK;
        }
        return undefined;
      },
    });
    nulChecked.set(document, holds);
  }
  return holds;
}

/** The refusal of a document with a NUL in a string, worded as the refusal of one in JSON. */
export function nulInDocumentError(): GraphQLErrorType {
  return new GraphQLError('Text in a request must not contain NUL characters.', { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
}

/**
 * Depth, aliases, directives and cost, checked once Apollo has parsed and validated the document
 * and before the gateway plans it: a request over a limit reaches no subgraph. So is a NUL in a string.
 */
export function requestLimitsPlugin<TContext extends BaseContext>(limits: RequestLimits): ApolloServerPlugin<TContext> {
  const limitErrors = rememberedRequestLimitErrors(limits);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          if (documentHoldsNul(document)) throw nulInDocumentError();
          const [error] = limitErrors(schema, document, request.variables);
          if (error) throw error;
        },
      };
    },
  };
}

/** Set on each request's context when it arrives (performance.now() milliseconds): when its answer is due. */
export interface RequestDeadline {
  deadlineAt: number;
}

/** What a client whose request ran out of time is told (REQUEST_TIMEOUT). */
export const requestTimeoutMessage = (timeoutMs: number) => `The request did not finish within ${timeoutMs} ms.`;

function timedOut(timeoutMs: number): GatewayExecutionResult {
  return {
    errors: [
      new GraphQLError(requestTimeoutMessage(timeoutMs), {
        extensions: { code: ErrorCode.REQUEST_TIMEOUT, http: { status: 504 } },
      }),
    ],
  };
}

/**
 * The gateway, with each request's planning and execution racing its deadline: when the deadline
 * passes, the client gets REQUEST_TIMEOUT at once and the connection is free again; subgraph
 * calls still under way end by their own deadline (SUBGRAPH_TIMEOUT_MS) and are not waited for.
 * This covers an answer's first part; DeferExecutor holds its later parts to the same deadline.
 */
export function withRequestDeadline(gateway: GatewayInterface, timeoutMs: number): GatewayInterface {
  const withDeadline =
    (execute: GatewayExecutor): GatewayExecutor =>
    async (requestContext) => {
      const deadlineAt: unknown = requestContext.context.deadlineAt;
      const remaining = (typeof deadlineAt === 'number' ? deadlineAt : performance.now() + timeoutMs) - performance.now();
      if (remaining <= 0) return timedOut(timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<GatewayExecutionResult>((resolve) => {
        timer = setTimeout(() => resolve(timedOut(timeoutMs)), remaining);
      });
      try {
        return await Promise.race([execute(requestContext), expired]);
      } finally {
        clearTimeout(timer);
      }
    };
  return {
    load: async (options) => {
      const loaded = await gateway.load(options);
      return { ...loaded, executor: loaded.executor && withDeadline(loaded.executor) };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}
