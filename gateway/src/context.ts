import { authenticate, type AuthenticatedUser, type IncomingGraphQLRequest, type UserTokenVerifier } from '@greencart/platform';

/** Per request at the gateway: the verified user and the header to pass on to subgraphs. */
export interface GatewayContext {
  user: AuthenticatedUser | undefined;
  authorization: string | undefined;
  /** The client's address, passed on so that subgraphs can limit per client (sign-in throttle). */
  clientAddress: string | undefined;
  /** The request's id, passed on to every subgraph call. */
  requestId: string;
  /** The query plan, when a developer asked for it (see QUERY_PLAN_HEADER). */
  queryPlan?: string;
}

/** A bad token fails the whole request with UNAUTHENTICATED, even for public fields. */
export function createContextFactory(deps: { verifier: UserTokenVerifier }) {
  return async (request: IncomingGraphQLRequest): Promise<GatewayContext> => {
    const authorization = request.headers.authorization;
    return { user: await authenticate(deps.verifier, authorization), authorization, clientAddress: request.clientAddress, requestId: request.requestId };
  };
}
