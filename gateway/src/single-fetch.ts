import { createRequire } from 'node:module';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { GraphQLDataSourceProcessOptions, ServiceMap } from '@apollo/gateway';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';

// The API schema is Apollo's CommonJS copy of graphql's; see limits.ts.
const { Kind, TypeInfo, getNamedType, isAbstractType, parse, print, visit, visitWithTypeInfo } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** @apollo/gateway's GraphQLDataSourceRequestKind.INCOMING_OPERATION, an enum it does not export: a call made for a client's operation. */
const INCOMING_OPERATION = 'incoming operation' as Extract<GraphQLDataSourceProcessOptions, { incomingRequestContext: unknown }>['kind'];

/** The fetch's span is named as @apollo/gateway names its own, so that a trace reads the same whichever path ran. */
const tracer = trace.getTracer('@greencart/gateway/single-fetch');

/** Operations whose verdict is kept (shortcut or not), the last used; one pushed out learns again from its next plan. */
const REMEMBERED_OPERATIONS = 500;

/**
 * A query that one subgraph answers whole, with the very selection the client sent (a category's
 * page of products, a product by id), goes to that subgraph and its answer is returned as it came.
 * @apollo/gateway would build the operation again from the document, merge the subgraph's data
 * into an empty result and walk it against the API schema to shape an answer that, for such a
 * plan, is what the subgraph sent (docs/architecture.md, "One subgraph, one fetch").
 *
 * The plan is learnt from the gateway itself (its first execution of each operation, through
 * `experimental_didResolveQueryPlan`), so nothing is planned twice. Only a plan of one fetch, with
 * nothing required, rewritten or deferred, whose subgraph operation selects exactly what the
 * client's does (printed alike: no fragment, no abstract type, no `__typename` the planner added,
 * no field it left out) takes the shortcut. An answer with errors, or a call that fails, goes
 * through the gateway's own path instead, which names the errors as it always does.
 */
export class SingleFetchShortcut {
  private readonly fetches = new LRUCache<string, FetchNode | false>({ max: REMEMBERED_OPERATIONS });
  private readonly answers?: Counter<'outcome'>;

  constructor(
    private readonly options: {
      /** The gateway's data source for each subgraph (those its own executor calls). */
      dataSources: () => ServiceMap;
      /** A request that must take the gateway's own path (the development query-plan header). */
      skip?: (requestContext: GatewayGraphQLRequestContext) => boolean;
      registry?: Registry;
    },
  ) {
    if (options.registry)
      this.answers = new Counter({
        name: 'greencart_gateway_single_fetch_total',
        help: "Queries one subgraph answers whole, by outcome: answered (the subgraph's answer returned as it came) or fallback (errors or a failed call: the gateway's own path answered).",
        labelNames: ['outcome'],
        registers: [options.registry],
      });
  }

  /** Told of each plan the gateway makes: remembers whether its operation may take the shortcut. */
  planned(queryPlan: QueryPlan, requestContext: GatewayGraphQLRequestContext): void {
    const key = operationKey(requestContext);
    if (!this.fetches.has(key)) this.fetches.set(key, wholeFetchOf(queryPlan, requestContext.schema, requestContext.document, requestContext.operation) ?? false);
  }

  /** Forgets every plan: the supergraph changed. */
  clear(): void {
    this.fetches.clear();
  }

  /** The gateway, its executor taking the shortcut where it may. */
  wrap(gateway: GatewayInterface): GatewayInterface {
    const shortcut =
      (execute: GatewayExecutor): GatewayExecutor =>
      async (requestContext) => {
        const fetch = this.fetches.get(operationKey(requestContext));
        if (!fetch || this.options.skip?.(requestContext)) return execute(requestContext);
        const service = this.options.dataSources()[fetch.serviceName];
        if (!service) return execute(requestContext);
        // The variables the subgraph operation uses, as @apollo/gateway passes them.
        const provided = requestContext.request.variables ?? {};
        const variables: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        for (const name of fetch.variableUsages ?? []) if (provided[name] !== undefined) variables[name] = provided[name];
        let answer;
        try {
          answer = await tracer.startActiveSpan('gateway.fetch', { attributes: { service: fetch.serviceName } }, async (span) => {
            try {
              return await service.process({
                kind: INCOMING_OPERATION,
                request: { query: fetch.operation, variables, operationName: fetch.operationName },
                incomingRequestContext: requestContext,
                context: requestContext.context,
                document: fetch.operationDocumentNode,
                pathInIncomingRequest: [],
              });
            } catch (error) {
              span.setStatus({ code: SpanStatusCode.ERROR });
              throw error;
            } finally {
              span.end();
            }
          });
        } catch {
          this.answers?.inc({ outcome: 'fallback' });
          return execute(requestContext);
        }
        if (answer.errors?.length || !answer.data) {
          this.answers?.inc({ outcome: 'fallback' });
          return execute(requestContext);
        }
        this.answers?.inc({ outcome: 'answered' });
        return { data: answer.data };
      };
    return {
      load: async (options) => {
        const loaded = await gateway.load(options);
        return { ...loaded, executor: loaded.executor && shortcut(loaded.executor) };
      },
      onSchemaLoadOrUpdate: (callback) =>
        gateway.onSchemaLoadOrUpdate((update) => {
          this.clear();
          callback(update);
        }),
      stop: () => gateway.stop(),
    };
  }
}

/** The gateway's own key for a plan: the document's hash and the operation named. */
const operationKey = (requestContext: GatewayGraphQLRequestContext) => `${requestContext.queryHash}\n${requestContext.operationName ?? ''}`;

/** The plan's one fetch, when the subgraph's answer to it is the client's answer as it stands. */
export function wholeFetchOf(queryPlan: QueryPlan, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): FetchNode | undefined {
  const node = queryPlan.node;
  if (node?.kind !== 'Fetch' || operation.operation !== 'query' || node.operationKind !== 'query') return undefined;
  if (node.requires?.length || node.inputRewrites?.length || node.outputRewrites?.length || node.contextRewrites?.length) return undefined;
  if (document.definitions.some((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)) return undefined;
  // No fragment and no field of an interface or union: the answer's shape is the selection's, for any data.
  let shaped = true;
  const typeInfo = new TypeInfo(schema);
  visit(
    operation,
    visitWithTypeInfo(typeInfo, {
      InlineFragment: () => {
        shaped = false;
      },
      FragmentSpread: () => {
        shaped = false;
      },
      Field: () => {
        const type = typeInfo.getType();
        if (!type || isAbstractType(getNamedType(type))) shaped = false;
      },
    }),
  );
  if (!shaped) return undefined;
  // Once per operation: the gateway keeps its plans' subgraph operations parsed, a planner alone does not.
  const sent = (node.operationDocumentNode ?? parse(node.operation)).definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (!sent || print(sent.selectionSet) !== print(operation.selectionSet)) return undefined;
  return node;
}
