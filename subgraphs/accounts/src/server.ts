import { buildSubgraphSchemaFromFile, startGraphQLService, type Logger, type RunningService, type ServiceCredentials, type UserTokenIssuer, type UserTokenVerifier } from '@greencart/platform';
import { createContextFactory, type AccountsContext } from './context.js';
import type { AccountsDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';

export interface AccountsDependencies {
  database: AccountsDatabase;
  verifier: UserTokenVerifier;
  issuer: UserTokenIssuer;
  credentials: ServiceCredentials;
  logger: Logger;
  production: boolean;
}

/** Starts the accounts subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startAccountsService(deps: AccountsDependencies, listen: { port: number; host: string }): Promise<RunningService> {
  return startGraphQLService<AccountsContext>(
    {
      name: 'accounts',
      schema: buildSubgraphSchemaFromFile(new URL('../schema.graphql', import.meta.url), resolvers),
      context: createContextFactory(deps),
      production: deps.production,
      logger: deps.logger,
      requireServiceCredentials: deps.credentials,
      isReady: async () => (await deps.database.sql`select 1 as ok`).length === 1,
    },
    listen,
  );
}

export { prepareAccountsDatabase } from './db/database.js';
export { seedAdministrator, ADMIN_EMAIL } from './seed/admin.js';
