import { createClient, type Client } from 'graphql-ws';
import { GRAPHQL_WS_URL } from './config';
import { tokenStore } from './auth';

/** The close code graphql-ws treats as a restart: it reconnects at once and resubscribes. */
const RESTART = 4205;

/**
 * The app's one WebSocket to the gateway (graphql-transport-ws), opened while a subscription runs.
 * The token travels in `connection_init`, so a sign-in or sign-out restarts the socket with the
 * new one; the gateway closing it (an expired token, a restart) is retried with graphql-ws's backoff.
 */
export function createLiveClient(): Client {
  let socket: WebSocket | undefined;
  const client = createClient({
    url: GRAPHQL_WS_URL,
    lazy: true,
    connectionParams: () => {
      const token = tokenStore.read();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: {
      opened: (opened) => {
        socket = opened as WebSocket;
      },
      closed: () => {
        socket = undefined;
      },
    },
  });
  tokenStore.subscribe(() => {
    if (socket?.readyState === WebSocket.OPEN) socket.close(RESTART, 'Token changed');
  });
  return client;
}
