import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient as createWebSocketClient, type ClientOptions as WebSocketClientOptions } from 'graphql-ws';
import { getSdk } from './generated/sdk.js';

export * from './generated/operations.js';
export { getSdk, type Requester } from './generated/sdk.js';

/** A GraphQL error as the gateway reports it; `extensions.code` says what kind. */
export interface GreenCartGraphQLError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** The request failed at the top level: `errors` holds what the gateway said, `data` what it could still answer. */
export class GreenCartRequestError extends Error {
  constructor(
    readonly errors: GreenCartGraphQLError[],
    readonly data: unknown,
    readonly status: number,
  ) {
    super(errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; ') || `HTTP ${status}`);
  }

  /** The code of the first error, such as UNAUTHENTICATED or RATE_LIMITED. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export interface ClientOptions {
  /** The gateway's GraphQL endpoint, such as http://localhost:4000/graphql. */
  url: string;
  /** An access token from `login` or `register`, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/**
 * A typed GreenCart client: one method per operation (`client.Login({ input })`), `request` for
 * any typed document, and `withToken` for the same client signed in.
 */
export function createClient(options: ClientOptions) {
  const send = options.fetch ?? fetch;
  async function request<Result, Variables>(document: TypedDocumentNode<Result, Variables> | DocumentNode, variables?: Variables): Promise<Result> {
    const response = await send(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: Result; errors?: GreenCartGraphQLError[] };
    if (body.errors?.length || !body.data) throw new GreenCartRequestError(body.errors ?? [], body.data ?? null, response.status);
    return body.data;
  }
  const sdk = getSdk(<R, V>(document: DocumentNode, variables?: V) => request<R, V>(document, variables));
  return { ...sdk, request, withToken: (token: string) => createClient({ ...options, token }) };
}
export type GreenCartClient = ReturnType<typeof createClient>;

export interface LiveClientOptions {
  /** The gateway's GraphQL endpoint (http:// or ws://; the WebSocket is at the same path). */
  url: string;
  /** An access token, sent in the connection's `connection_init` payload. */
  token?: string;
  /** A WebSocket implementation where there is no global one (Node 20: the `ws` package). */
  webSocketImpl?: WebSocketClientOptions['webSocketImpl'];
}

/**
 * Live updates: each subscription document (`OrderUpdatedDocument`, `ProductUpdatedDocument`) as a
 * typed async iterator of its events over the gateway's WebSocket (graphql-ws). An error from the
 * gateway (`UNAUTHENTICATED`, `NOT_FOUND`, …) is thrown as a GreenCartRequestError.
 */
export function createLiveClient(options: LiveClientOptions) {
  const socket = createWebSocketClient({
    url: options.url.replace(/^http/, 'ws'),
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
    webSocketImpl: options.webSocketImpl,
  });
  return {
    async *subscribe<Result, Variables>(document: TypedDocumentNode<Result, Variables>, variables: Variables): AsyncGenerator<Result> {
      const events = socket.iterate<Result>({ query: print(document), variables: variables as Record<string, unknown> });
      try {
        for await (const event of events) {
          if (event.errors?.length || !event.data) throw new GreenCartRequestError((event.errors ?? []) as GreenCartGraphQLError[], event.data ?? null, 200);
          yield event.data;
        }
      } catch (error) {
        if (Array.isArray(error)) throw new GreenCartRequestError(error as GreenCartGraphQLError[], null, 200);
        throw error;
      }
    },
    dispose: () => socket.dispose(),
  };
}
export type GreenCartLiveClient = ReturnType<typeof createLiveClient>;
