import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { RequestHandler } from 'express';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './context.js';

// The API schema is Apollo's CommonJS copy of graphql's; TypeInfo refuses a schema from another copy (see limits.ts).
const { BREAK, Kind, TypeInfo, parse, visit, visitWithTypeInfo } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** The composed directive subgraphs mark public fields with (docs/architecture.md, "Adding a field"). */
export const PUBLIC_DIRECTIVE = 'public';

/** What every answer of the gateway's /graphql is unless the caching plugin finds it public. */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/** The default of PUBLIC_CACHE_MAX_AGE: how long a CDN or browser may reuse a public answer, in seconds. */
export const DEFAULT_PUBLIC_CACHE_MAX_AGE_SECONDS = 10;

/**
 * The coordinates (`Type.field`) of the fields a subgraph marked `@public`, as composition carried
 * the directive into the supergraph. A field without it is private.
 */
export function publicFieldsOf(supergraphSdl: string): ReadonlySet<string> {
  const fields = new Set<string>();
  for (const definition of parse(supergraphSdl).definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      if (field.directives?.some((directive) => directive.name.value === PUBLIC_DIRECTIVE)) fields.add(`${definition.name.value}.${field.name.value}`);
    }
  }
  return fields;
}

/**
 * Whether a query selects public fields only, in its own selections and in every fragment of its
 * document (`__typename` is public). A field under `@skip`/`@include` counts as selected.
 */
export function selectsPublicFieldsOnly(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, publicFields: ReadonlySet<string>): boolean {
  if (operation.operation !== 'query') return false;
  const typeInfo = new TypeInfo(schema);
  let allPublic = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      // The document's other operations do not run.
      OperationDefinition: (node) => (node === operation ? undefined : false),
      Field(node) {
        if (node.name.value === '__typename') return;
        const parent = typeInfo.getParentType();
        if (!parent || !publicFields.has(`${parent.name}.${node.name.value}`)) {
          allPublic = false;
          return BREAK;
        }
      },
    }),
  );
  return allPublic;
}

/** If-None-Match's weak comparison (RFC 9110, 13.1.2): a listed tag, `W/` or not, or `*`. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((listed) => {
    const tag = listed.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/**
 * Every /graphql answer is `private, no-store` (refusals before GraphQL included) and varies by the
 * token and the answer's form; the caching plugin makes public ones public.
 */
export function privateByDefault(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Cache-Control', PRIVATE_CACHE_CONTROL);
    res.vary('Authorization');
    res.vary('Accept');
    next();
  };
}

/**
 * `Cache-Control: public, max-age=<n>` and a strong `ETag` for a public read: a GET without a
 * token whose query selects public fields only and whose single answer holds no error; 304 with no
 * body when If-None-Match holds that ETag. Whether a query is public is worked out once per parsed
 * operation (Apollo keeps parsed documents), so a public GET costs a lookup and a hash of its body.
 */
export function httpCachingPlugin(options: { supergraphSdl: string; maxAgeSeconds: number }): ApolloServerPlugin<GatewayContext> {
  if (options.maxAgeSeconds === 0) return {};
  const publicCacheControl = `public, max-age=${options.maxAgeSeconds}`;
  const publicFields = publicFieldsOf(options.supergraphSdl);
  const publicOperations = new WeakMap<OperationDefinitionNode, boolean>();
  return {
    async requestDidStart({ request }) {
      // A POST or a token: private whatever it asks, without looking at the query.
      if (request.http?.method !== 'GET' || request.http.headers.has('authorization')) return;
      return {
        async willSendResponse({ schema, document, operation, request, response, contextValue }) {
          if (!document || !operation || response.body.kind !== 'single' || response.body.singleResult.errors || contextValue.queryPlan) return;
          let isPublic = publicOperations.get(operation);
          if (isPublic === undefined) {
            isPublic = selectsPublicFieldsOnly(schema, document, operation, publicFields);
            publicOperations.set(operation, isPublic);
          }
          if (!isPublic) return;
          // Apollo writes the body as this JSON text (and a line feed), so equal answers have equal tags.
          const tag = createHash('sha256').update(JSON.stringify(response.body.singleResult)).digest('base64url');
          const etag = `"${tag}"`;
          response.http.headers.set('cache-control', publicCacheControl);
          response.http.headers.set('etag', etag);
          // Express's res.send then sends no body. Decided here rather than by Express's freshness
          // check, which ignores If-None-Match when the request says no-cache (as fetch() adds to any
          // conditional request): the origin's answer to a revalidation is 304 whatever caches in between do.
          if (matchesIfNoneMatch(request.http?.headers.get('if-none-match'), etag)) response.http.status = 304;
        },
      };
    },
  };
}
