import { createClient, type Client } from 'graphql-ws';
import { GRAPHQL_WS_URL } from './config';
import { tokenStore } from './auth';

/** The close code graphql-ws treats as a restart: it reconnects at once and resubscribes. */
const RESTART = 4205;
/** The gateway's answer to a token that fails verification: reconnecting with it again is pointless. */
const TOKEN_REFUSED = 4403;

/**
 * The app's one WebSocket to the gateway (graphql-transport-ws), opened while a subscription runs.
 * The token travels in `connection_init`, so a sign-in or sign-out restarts the socket with the
 * new one; the gateway closing it (an expired token, a restart) is retried with graphql-ws's backoff,
 * and a token it refuses is forgotten.
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
      closed: (event) => {
        socket = undefined;
        // Signed out, as an HTTP 401 does; the retry then connects anonymously.
        if ((event as CloseEvent).code === TOKEN_REFUSED && tokenStore.read()) tokenStore.write(null);
      },
    },
  });
  tokenStore.subscribe(() => {
    if (socket?.readyState === WebSocket.OPEN) socket.close(RESTART, 'Token changed');
  });
  return client;
}
