import { authenticate, type AuthenticatedUser, type IncomingGraphQLRequest, type ServiceName, type UserTokenVerifier } from '@greencart/platform';
import type { __Name__Database } from './db/database.js';
import { createLoaders, type __Name__Loaders } from './loaders.js';
import { NoteService } from './services/note-service.js';

/** What every __name__ resolver gets for one request. */
export interface __Name__Context {
  /** The signed-in customer or admin; undefined when anonymous. */
  user: AuthenticatedUser | undefined;
  /** The GreenCart service that sent the request. */
  caller: ServiceName | undefined;
  loaders: __Name__Loaders;
  notes: NoteService;
}

export function createContextFactory(deps: { database: __Name__Database; verifier: UserTokenVerifier }) {
  return async (request: IncomingGraphQLRequest): Promise<__Name__Context> => ({
    user: await authenticate(deps.verifier, request.headers.authorization),
    caller: request.caller,
    loaders: createLoaders(deps.database.db),
    notes: new NoteService(deps.database.db),
  });
}
