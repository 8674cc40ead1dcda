import type { ServiceName } from '../auth/service-calls.js';
import { SERVICE_TOKEN_HEADER, type ServiceCredentials } from '../auth/service-credentials.js';
import { createJsonPoster, type JsonPostAnswer } from './json-post.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** A failed call to a sibling service: unexpected, so clients see it as an internal error. */
export class ServiceCallError extends Error {}

export interface SubgraphRequestOptions {
  /** The end user's bearer token, passed on for checks made on their behalf. */
  authorization?: string;
  /** The id of the request being answered, so that the sibling logs under the same id. */
  requestId?: string;
}

export interface SubgraphClient {
  /** Sends one operation; its data, or a ServiceCallError. */
  request<Data>(query: string, variables: Record<string, unknown>, options?: SubgraphRequestOptions): Promise<Data>;
  /** The same client, sending `requestId` with every call (made per request, from its context). */
  forRequest(requestId: string): SubgraphClient;
}

/**
 * The keep-alive connections a service keeps to its siblings, shared by all its clients (and by
 * each request's `forRequest` copy): at most 64 to each sibling, as the gateway keeps to subgraphs.
 */
const siblingConnections = createJsonPoster({ maxSockets: 64 });

/**
 * Calls a sibling subgraph's GraphQL endpoint directly (not through the gateway) with this
 * service's credentials, a timeout, and keep-alive connections (see createJsonPoster).
 */
export function createSubgraphClient(settings: { name: ServiceName; url: string; credentials: ServiceCredentials; timeoutMs: number; requestId?: string }): SubgraphClient {
  const endpoint = new URL('/graphql', settings.url);
  return {
    async request<Data>(query: string, variables: Record<string, unknown>, options: SubgraphRequestOptions = {}): Promise<Data> {
      const requestId = options.requestId ?? settings.requestId;
      const headers = {
        'content-type': 'application/json',
        [SERVICE_TOKEN_HEADER]: await settings.credentials.token(settings.name),
        ...(options.authorization ? { authorization: options.authorization } : {}),
        ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
      };
      let answer: JsonPostAnswer;
      try {
        answer = await siblingConnections.post(endpoint, headers, JSON.stringify({ query, variables }), settings.timeoutMs);
      } catch (error) {
        throw new ServiceCallError(`${settings.name} did not answer: ${(error as Error).message}`, { cause: error });
      }
      const body = parseBody<Data>(answer.body);
      const ok = answer.status >= 200 && answer.status <= 299;
      if (!ok || !body?.data || body.errors?.length) {
        const reason = body?.errors?.map((error) => error.message).join('; ') ?? `HTTP ${answer.status}`;
        throw new ServiceCallError(`${settings.name} failed: ${reason}`);
      }
      return body.data;
    },

    forRequest: (requestId) => createSubgraphClient({ ...settings, requestId }),
  };
}

function parseBody<Data>(text: string): { data?: Data; errors?: Array<{ message: string }> } | undefined {
  try {
    return JSON.parse(text) as { data?: Data; errors?: Array<{ message: string }> };
  } catch {
    return undefined;
  }
}
