import { createRequire } from 'node:module';
import type { GraphQLSchema as GraphQLSchemaType } from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { Counter } from 'prom-client';
import type { ServiceMetrics } from '@greencart/platform';
import { deferredOperation, documentHasDefer } from './defer-document.js';
import type { DeferExecutor, PartsOutcome, SubsequentPart } from './defer-executor.js';

// The API schema is Apollo's CommonJS copy of graphql's; see limits.ts.
const { DirectiveLocation, GraphQLBoolean, GraphQLDirective, GraphQLError, GraphQLNonNull, GraphQLSchema, GraphQLString, getVariableValues } = createRequire(import.meta.url)(
  'graphql',
) as typeof import('graphql');

/** `@defer` as the incremental delivery proposal defines it (graphql-js 16 does not). */
const deferDirective = new GraphQLDirective({
  name: 'defer',
  description: 'Sends the fragment later, in a part of its own, when the client accepts multipart/mixed;deferSpec=20220824.',
  locations: [DirectiveLocation.FRAGMENT_SPREAD, DirectiveLocation.INLINE_FRAGMENT],
  args: {
    label: { type: GraphQLString, description: 'Names the part the fragment is sent in.' },
    if: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: true, description: 'Defers only when true.' },
  },
});

const withDeferDirectives = new WeakMap<GraphQLSchemaType, GraphQLSchemaType>();

/**
 * The API schema with `@defer`, which @apollo/gateway leaves out of the schema it gives Apollo
 * Server (so that its validation refuses every @defer) although its planner knows the directive.
 */
function withDeferDirective(schema: GraphQLSchemaType): GraphQLSchemaType {
  if (schema.getDirective('defer')) return schema;
  let extended = withDeferDirectives.get(schema);
  if (!extended) {
    const config = schema.toConfig();
    extended = new GraphQLSchema({ ...config, directives: [...config.directives, deferDirective] });
    withDeferDirectives.set(schema, extended);
  }
  return extended;
}

/**
 * Whether an Accept header takes the multipart answer of Apollo's incremental delivery
 * (`multipart/mixed;deferSpec=20220824`, Apollo Client's default), which Apollo Server then writes.
 */
export function acceptsIncrementalDelivery(accept: string | null | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'multipart/mixed') return false;
    const values = new Map(parameters.map((parameter) => parameter.split('=').map((part) => part.trim().replace(/^"|"$/g, '')) as [string, string]));
    return values.get('deferspec') === '20220824' && Number(values.get('q') ?? '1') > 0;
  });
}

/** Each request's parts after the first, from the executor to the plugin that sends them. */
const laterParts = new WeakMap<object, AsyncIterable<SubsequentPart>>();

/**
 * The gateway, answering a query with `@defer` in parts when the client accepts them; anything
 * else (no @defer, or a client that wants one JSON answer, where @apollo/gateway's planner merges
 * deferred fragments into the whole) takes @apollo/gateway's own path unchanged.
 */
export function withIncrementalDelivery(gateway: GatewayInterface, executor: DeferExecutor): GatewayInterface {
  const withDefer =
    (execute: GatewayExecutor): GatewayExecutor =>
    async (requestContext) => {
      const { document, request } = requestContext;
      if (!documentHasDefer(document) || !acceptsIncrementalDelivery(request.http?.headers.get('accept'))) return execute(requestContext);
      // @apollo/gateway checks the variables before planning; so does this path.
      const operation = requestContext.operation;
      const { errors } = getVariableValues(requestContext.schema, operation.variableDefinitions ?? [], request.variables ?? {});
      if (errors) return { errors };
      let deferred;
      try {
        deferred = deferredOperation(document, requestContext.operationName, request.variables);
      } catch (error) {
        if (error instanceof GraphQLError) return { errors: [error] };
        throw error;
      }
      if (!deferred) return execute(requestContext);
      const { initial, subsequent } = await executor.execute(requestContext, deferred);
      if (subsequent) laterParts.set(requestContext.context, subsequent);
      return initial;
    };
  return {
    load: async (options) => {
      const loaded = await gateway.load(options);
      return { ...loaded, executor: loaded.executor && withDefer(loaded.executor) };
    },
    // Apollo Server validates against the schema it is given here.
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate((update) => callback({ ...update, apiSchema: withDeferDirective(update.apiSchema) })),
    stop: () => gateway.stop(),
  };
}

/**
 * Apollo Server takes a gateway's answer as a single result; this turns one that has parts to
 * follow into its incremental response, which Apollo Server writes as multipart/mixed.
 */
export function incrementalDeliveryPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const subsequentResults = laterParts.get(contextValue);
          if (!subsequentResults || response.body.kind !== 'single') return;
          laterParts.delete(contextValue);
          response.body = { kind: 'incremental', initialResult: { ...response.body.singleResult, hasNext: true }, subsequentResults };
        },
      };
    },
  };
}

/**
 * Counts answers sent in parts (multipart/mixed) in `greencart_graphql_incremental_responses_total`,
 * by operation and by how each ended: every part sent, the deadline passed, or the client went away.
 * (greencart_graphql_requests_total counts them too, with every other request.)
 */
export function partsAnswerCounter(metrics: Pick<ServiceMetrics, 'registry' | 'operationLabel'>): (operationName: string | null | undefined, outcome: PartsOutcome) => void {
  const answers = new Counter({
    name: 'greencart_graphql_incremental_responses_total',
    help: 'GraphQL answers sent in parts (@defer, multipart/mixed), by operation and outcome: complete, timeout (the deadline passed before the last part) or disconnected (the client went away).',
    labelNames: ['operation', 'outcome'],
    registers: [metrics.registry],
  });
  return (operationName, outcome) => answers.inc({ operation: metrics.operationLabel(operationName), outcome });
}
