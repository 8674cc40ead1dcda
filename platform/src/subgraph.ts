import { readFileSync } from 'node:fs';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { BaseContext } from '@apollo/server';
import type { Express } from 'express';
import type { Sql } from 'postgres';
import type { ServiceName } from './auth/service-calls.js';
import type { ServiceCredentials } from './auth/service-credentials.js';
import type { UserTokenVerifier } from './auth/user-tokens.js';
import type { ChangeFeed } from './http/change-feed.js';
import { startGraphQLService, type IncomingGraphQLRequest, type ListenAddress, type RunningService } from './http/graphql-service.js';
import type { Logger } from './logger.js';

/**
 * Builds a federated subgraph schema from its `schema.graphql` and its codegen-typed resolvers
 * (whose precise types the subgraph library's looser map type cannot express).
 */
export function buildSubgraphSchemaFromFile(schemaFile: URL, resolvers: object): GraphQLSchema {
  const typeDefs = parse(readFileSync(schemaFile, 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
}

/** What every subgraph process is given, whatever it serves. */
export interface SubgraphDependencies {
  /** The subgraph's own database; `/ready` answers 200 only while it does. */
  database: { sql: Sql };
  verifier: UserTokenVerifier;
  credentials: ServiceCredentials;
  logger: Logger;
  production: boolean;
}

/**
 * Starts a subgraph: its schema from `schema.graphql` beside `src/`, GraphQL answered only to
 * callers with service credentials, and readiness tied to its database.
 */
export async function startSubgraph<TContext extends BaseContext>(
  options: {
    name: ServiceName;
    schemaFile: URL;
    resolvers: object;
    context: (request: IncomingGraphQLRequest) => Promise<TContext>;
    /** Extra HTTP routes beside GraphQL, open to every caller (accounts' published keys). */
    routes?: (app: Express) => void;
    /** The subgraph's change feed: started before serving, served at `GET /events`, stopped first. */
    changeFeed?: ChangeFeed;
  },
  deps: SubgraphDependencies,
  listen: ListenAddress,
): Promise<RunningService> {
  const feed = options.changeFeed;
  await feed?.start();
  const service = await startGraphQLService<TContext>(
    {
      name: options.name,
      schema: buildSubgraphSchemaFromFile(options.schemaFile, options.resolvers),
      context: options.context,
      production: deps.production,
      logger: deps.logger,
      requireServiceCredentials: deps.credentials,
      isReady: async () => (await deps.database.sql`select 1 as ok`).length === 1,
      routes: (app) => {
        options.routes?.(app);
        if (feed) app.get('/events', feed.route(deps.credentials));
      },
    },
    listen,
  ).catch(async (error: unknown) => {
    await feed?.stop();
    throw error;
  });
  return {
    ...service,
    async stop() {
      // Open streams first: the HTTP server's drain would otherwise wait its grace period on them.
      await feed?.stop();
      await service.stop();
    },
  };
}
