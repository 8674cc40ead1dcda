import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import {
  CLIENT_ADDRESS_HEADER,
  REQUEST_ID_HEADER,
  SERVICE_TOKEN_HEADER,
  serviceNamed,
  type JsonPoster,
  type ServiceCredentials,
  type ServiceName,
  type ServiceManifest,
  type ServiceMetrics,
} from '@greencart/platform';
import type { GatewayContext } from './context.js';
import { distinctRepresentations } from './entity-representations.js';

/**
 * How the gateway calls a subgraph: the client's bearer token is passed on (each subgraph verifies
 * it again), the gateway proves itself with a service token, the request id goes along for the
 * subgraph's logs, and every call has a deadline and is counted and timed.
 *
 * It does what @apollo/gateway's RemoteGraphQLDataSource does for us (POST the operation, a
 * non-2xx answer is an error naming the status, 401 → UNAUTHENTICATED, 403 → FORBIDDEN) over the
 * gateway's keep-alive pool instead of fetch and node-fetch's Headers and Request, which cost
 * more CPU than the rest of a small subgraph call.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly endpoint: URL;
  /** The subgraph as the service its tokens are addressed to. */
  private readonly audience: ServiceName;

  /** `name`: the subgraph's name in the supergraph, its metrics label. */
  constructor(
    private readonly options: {
      name: string;
      url: string;
      credentials: ServiceCredentials;
      timeoutMs: number;
      poster: JsonPoster;
      metrics: Pick<ServiceMetrics, 'observeSubgraphRequest' | 'observeEntityRepresentations'>;
      /** The manifest that names the subgraph (default: the repository's). */
      manifest?: ServiceManifest;
    },
  ) {
    this.endpoint = new URL(options.url);
    this.audience = serviceNamed(options.name, options.manifest);
  }

  async process({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: await this.options.credentials.token(this.audience) };
      if ('authorization' in context && context.authorization) headers.authorization = context.authorization;
      if ('clientAddress' in context && context.clientAddress) headers[CLIENT_ADDRESS_HEADER] = context.clientAddress;
      if ('requestId' in context && context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
      if (!request.query) throw new Error('Missing query');
      const { query, operationName, extensions } = request;
      const folded = distinctRepresentations(request.variables?.representations);
      const variables = folded ? { ...request.variables, representations: folded.distinct } : request.variables;
      if (Array.isArray(variables?.representations)) this.options.metrics.observeEntityRepresentations(this.options.name, variables.representations.length);
      const answer = await this.options.poster.post(this.endpoint, headers, JSON.stringify({ query, operationName, variables, extensions }), this.options.timeoutMs);
      const body = parseJson(answer.body);
      if (answer.status < 200 || answer.status > 299) {
        const code = answer.status === 401 ? 'UNAUTHENTICATED' : answer.status === 403 ? 'FORBIDDEN' : undefined;
        throw new GraphQLError(`${answer.status}: ${answer.statusText}`, {
          extensions: { ...(code ? { code } : {}), response: { url: this.options.url, status: answer.status, statusText: answer.statusText, body } },
        });
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error(`Expected JSON response body, but received: ${answer.body.slice(0, 200)}`);
      return folded ? folded.expand(body as GatewayGraphQLResponse) : (body as GatewayGraphQLResponse);
    } finally {
      this.options.metrics.observeSubgraphRequest(this.options.name, (performance.now() - started) / 1000);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
