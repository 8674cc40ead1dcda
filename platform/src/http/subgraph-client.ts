import { SERVICE_TOKEN_HEADER, type ServiceCredentials } from '../auth/service-credentials.js';

/** A failed call to a sibling service: unexpected, so clients see it as an internal error. */
export class ServiceCallError extends Error {}

/**
 * Calls a sibling subgraph's GraphQL endpoint directly (not through the gateway) with this
 * service's credentials, a timeout, and the keep-alive connections of Node's fetch.
 */
export function createSubgraphClient(settings: { name: string; url: string; credentials: ServiceCredentials; timeoutMs: number }) {
  const endpoint = new URL('/graphql', settings.url).toString();
  return {
    /** Sends one operation; `authorization` passes the end user's bearer token on, for checks made on their behalf. */
    async request<Data>(query: string, variables: Record<string, unknown>, options: { authorization?: string } = {}): Promise<Data> {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SERVICE_TOKEN_HEADER]: await settings.credentials.token(),
            ...(options.authorization ? { authorization: options.authorization } : {}),
          },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
      } catch (error) {
        throw new ServiceCallError(`${settings.name} did not answer: ${(error as Error).message}`, { cause: error });
      }
      const body = (await response.json().catch(() => undefined)) as { data?: Data; errors?: Array<{ message: string }> } | undefined;
      if (!response.ok || !body?.data || body.errors?.length) {
        const reason = body?.errors?.map((error) => error.message).join('; ') ?? `HTTP ${response.status}`;
        throw new ServiceCallError(`${settings.name} failed: ${reason}`);
      }
      return body.data;
    },
  };
}
export type SubgraphClient = ReturnType<typeof createSubgraphClient>;
