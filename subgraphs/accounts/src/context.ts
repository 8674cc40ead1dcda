import { authenticate, type AuthenticatedUser, type IncomingGraphQLRequest, type ServiceName, type UserTokenIssuer, type UserTokenVerifier } from '@greencart/platform';
import type { AccountsDatabase } from './db/database.js';
import { createLoaders, type AccountsLoaders } from './loaders.js';
import { AccountService } from './services/account-service.js';
import { AddressBook } from './services/address-book.js';
import { testCardVault, type CardVault } from './services/card-vault.js';
import { DEFAULT_SIGN_IN_THROTTLE, SignInThrottle, type SignInThrottleSettings } from './services/sign-in-throttle.js';
import { Wallet } from './services/wallet.js';

/** What every accounts resolver gets for one request. */
export interface AccountsContext {
  /** The signed-in customer or admin; undefined when anonymous. */
  user: AuthenticatedUser | undefined;
  /** The GreenCart service that sent the request. */
  caller: ServiceName | undefined;
  /** The end client's network address, as the gateway saw it. */
  clientAddress: string | undefined;
  loaders: AccountsLoaders;
  accounts: AccountService;
  addressBook: AddressBook;
  wallet: Wallet;
}

export function createContextFactory(deps: { database: AccountsDatabase; verifier: UserTokenVerifier; issuer: UserTokenIssuer; vault?: CardVault; signInThrottle?: SignInThrottleSettings }) {
  const vault = deps.vault ?? testCardVault;
  const throttleSettings = deps.signInThrottle ?? DEFAULT_SIGN_IN_THROTTLE;
  return async (request: IncomingGraphQLRequest): Promise<AccountsContext> => ({
    user: await authenticate(deps.verifier, request.headers.authorization),
    caller: request.caller,
    clientAddress: request.clientAddress,
    loaders: createLoaders(deps.database.db),
    accounts: new AccountService(deps.database.db, deps.issuer, new SignInThrottle(deps.database.db, throttleSettings)),
    addressBook: new AddressBook(deps.database.db),
    wallet: new Wallet(deps.database.db, vault),
  });
}

/** Whether the signed-in user may see this customer's account: the customer themself or an admin. */
export function maySeeCustomer(ctx: AccountsContext, customerId: string): boolean {
  return ctx.user !== undefined && (ctx.user.id === customerId || ctx.user.role === 'ADMIN');
}
