import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher } from '@apollo/utils.fetcher';
import { CLIENT_ADDRESS_HEADER, REQUEST_ID_HEADER, SERVICE_TOKEN_HEADER, type ServiceCredentials, type ServiceMetrics } from '@greencart/platform';
import type { GatewayContext } from './context.js';

/**
 * How the gateway calls a subgraph: the client's bearer token is passed on (each subgraph verifies
 * it again), the gateway proves itself with a service token, the request id goes along for the
 * subgraph's logs, and every call has a deadline and is counted and timed.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly subgraph: string;
  private readonly metrics: Pick<ServiceMetrics, 'observeSubgraphRequest'>;

  /** `name`: the subgraph's name in the supergraph, its metrics label. */
  constructor(options: { name: string; url: string; credentials: ServiceCredentials; timeoutMs: number; metrics: Pick<ServiceMetrics, 'observeSubgraphRequest'> }) {
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
        if ('requestId' in context && context.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
      },
    });
    this.subgraph = options.name;
    this.metrics = options.metrics;
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    try {
      return await super.process(options);
    } finally {
      this.metrics.observeSubgraphRequest(this.subgraph, (performance.now() - started) / 1000);
    }
  }
}
