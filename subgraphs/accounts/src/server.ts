import { jwksRoute, startSubgraph, type PublishedKeySet, type ListenAddress, type RunningService, type SubgraphDependencies, type UserTokenIssuer } from '@greencart/platform';
import { createContextFactory, type AccountsContext } from './context.js';
import type { AccountsDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';
import type { CardVault } from './services/card-vault.js';
import type { SignInThrottleSettings } from './services/sign-in-throttle.js';

export interface AccountsDependencies extends SubgraphDependencies {
  database: AccountsDatabase;
  issuer: UserTokenIssuer;
  /** The keys served at `/.well-known/jwks.json`, for the gateway and the other subgraphs. */
  publishedKeys: PublishedKeySet;
  /** How long verifiers may cache them (the response's max-age). */
  jwksCacheSeconds: number;
  /** Where card numbers are tokenised (default: the built-in test vault). */
  vault?: CardVault;
  /** Sign-in throttle limits (default: in 15 minutes, 5 failures per address and email, 100 per email, 100 per address). */
  signInThrottle?: SignInThrottleSettings;
}

/** Starts the accounts subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startAccountsService(deps: AccountsDependencies, listen: ListenAddress): Promise<RunningService> {
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  return startSubgraph<AccountsContext>({ name: 'accounts', schemaFile, resolvers, context: createContextFactory(deps), routes: jwksRoute(deps.publishedKeys, deps.jwksCacheSeconds) }, deps, listen);
}

export { prepareAccountsDatabase } from './db/database.js';
export { seedAdministrator, ADMIN_EMAIL } from './seed/admin.js';
export { seedDemoShoppers } from './seed/demo-shoppers.js';
export { DEFAULT_SIGN_IN_THROTTLE, type SignInThrottleSettings } from './services/sign-in-throttle.js';
// The resolvers and context apart from the service, for a schema that runs them in process (the bench's monolith), and password hashing for seeding straight into the database.
export { createContextFactory as createAccountsContextFactory, type AccountsContext } from './context.js';
export { resolvers as accountsResolvers } from './resolvers/index.js';
export { hashPassword } from './services/passwords.js';
