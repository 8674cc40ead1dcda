import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { CLIENT_ADDRESS_HEADER, SERVICE_TOKEN_HEADER, type ServiceCredentials } from '@greencart/platform';
import type { GatewayContext } from './context.js';

/**
 * How the gateway calls a subgraph: the client's bearer token is passed on (each subgraph verifies
 * it again), the gateway proves itself with a service token, and every call has a deadline.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(options: { url: string; credentials: ServiceCredentials; timeoutMs: number }) {
    const { credentials, timeoutMs } = options;
    // Node's fetch keeps connections alive between calls; each call is aborted after timeoutMs.
    const fetcher = ((url: string, init: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as Fetcher;
    super({
      url: options.url,
      fetcher,
      willSendRequest: async ({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) => {
        const headers = request.http?.headers;
        if (!headers) return;
        headers.set(SERVICE_TOKEN_HEADER, await credentials.token());
        if ('authorization' in context && context.authorization) headers.set('authorization', context.authorization);
        if ('clientAddress' in context && context.clientAddress) headers.set(CLIENT_ADDRESS_HEADER, context.clientAddress);
      },
    });
  }
}
