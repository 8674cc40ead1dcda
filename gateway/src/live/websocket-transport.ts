import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer, MessageType, type ServerOptions, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ErrorCode, errorFields, type Logger } from '@greencart/platform';

/** What one client may hold of the gateway's WebSocket service. */
export interface WebSocketLimits {
  /** The largest message the gateway reads, in bytes: a larger one closes its socket with 1009 before it is buffered. */
  maxFrameBytes: number;
  /** Sockets one client address may hold at once: more are refused with HTTP 429 before the upgrade. */
  connectionsPerAddress: number;
}

/** The default sockets per client address: a few browser tabs behind one NAT, far from the 400 one client opened. */
export const DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS = 50;

/** What each graphql-ws context knows of its socket (`ctx.extra`). */
export interface WebSocketExtra {
  socket: WebSocket;
  request: http.IncomingMessage;
  /** The client's address, by the same rules as an HTTP request's (TRUST_PROXY). */
  clientAddress: string | undefined;
}

export interface WebSocketTransportOptions<P extends Record<string, unknown> | undefined> {
  httpServer: http.Server;
  /** The one path served (`/graphql`); an upgrade anywhere else gets HTTP 400. */
  path: string;
  graphqlWs: ServerOptions<P, WebSocketExtra>;
  limits: WebSocketLimits;
  clientAddress: (request: http.IncomingMessage) => string | undefined;
  logger: Logger;
  registry: Registry;
  /** Pings keep a connection alive through proxies and find dead clients (a socket that does not answer in as long is dropped). */
  keepAliveMs: number;
}

/** How long a socket closed for a protocol error has to send its close frame before the connection ends. */
const CLOSE_GRACE_MS = 1_000;

/** graphql-ws's server throws this for a message type only a server may send (a client's mistake, not the gateway's). */
const CLIENT_SENT_SERVER_MESSAGE = /^Unexpected message of type /;

/** A refusal before the upgrade, in the shape of any GraphQL refusal (browsers see only a failed connection, 1006). */
function refuseUpgrade(socket: Duplex, status: number, statusText: string, message: string, code: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

const byteLength = (data: RawData) => (Array.isArray(data) ? data.reduce((sum, part) => sum + part.byteLength, 0) : data.byteLength);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * graphql-ws keeps each subscribe message, as text and parsed, for as long as its subscription
 * lives, which made every subscription hold its whole frame. It is handed the message with its
 * payload emptied (the same types, so that its checks answer as they would), and the payload goes
 * to the subscribe hook alone, which lets go of it once the subscription has started.
 */
function withoutPayload(text: string): { text: string; payload?: SubscribePayload } {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { text }; // graphql-ws refuses it (4400)
  }
  if (!isRecord(message) || message.type !== MessageType.Subscribe || !isRecord(message.payload)) return { text };
  const { query, variables, extensions, operationName } = message.payload;
  const emptied = { query: typeof query === 'string' ? '' : query, variables: isRecord(variables) ? {} : variables, extensions: isRecord(extensions) ? {} : extensions, operationName };
  return { text: JSON.stringify({ ...message, payload: emptied }), payload: message.payload as unknown as SubscribePayload };
}

/**
 * graphql-ws (the graphql-transport-ws protocol) on `ws`, in place of graphql-ws's own `useServer`,
 * which prints raw `console.error` stacks for a client's protocol mistakes (an oversized frame, a
 * server-only message) outside the logger, and lets one client open any number of sockets of
 * 100 MiB frames. Here frames are capped (`maxPayload`), sockets are counted per client address,
 * a socket whose messages the gateway is still working on stops being read while they hold more
 * than a frame's worth (TCP pushes back on the client), and each client mistake is one log line.
 */
export function serveGraphQLOverWebSocket<P extends Record<string, unknown> | undefined>(options: WebSocketTransportOptions<P>): { stop(): Promise<void> } {
  const { limits, logger } = options;
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, handleProtocols });
  // The message each socket is handing to graphql-ws right now: its subscribe hook takes it over.
  const messageInHand = new WeakMap<WebSocket, { release: () => void; payload: SubscribePayload | undefined }>();
  const onSubscribe = options.graphqlWs.onSubscribe;
  const graphqlWs = makeServer<P, WebSocketExtra>({
    ...options.graphqlWs,
    // A subscribe's message is let go of once its subscription has started (or been refused):
    // graphql-ws's handler of it runs on for as long as the subscription does.
    onSubscribe: async (ctx, id, payload) => {
      // Taken before any await: graphql-ws calls this in the same tick as its message handler.
      const message = messageInHand.get(ctx.extra.socket);
      try {
        return await onSubscribe?.(ctx, id, message?.payload ?? payload);
      } finally {
        message?.release();
      }
    },
  });
  const perAddress = new Map<string, number>();
  const open = new Gauge({ name: 'greencart_websocket_connections_open', help: 'WebSocket connections open on this gateway.', registers: [options.registry] });
  const pendingBytes = new Gauge({
    name: 'greencart_websocket_pending_bytes',
    help: 'Bytes of WebSocket messages the gateway has read and is still working on (subscribes awaiting their first reads).',
    registers: [options.registry],
  });
  const refusals = new Counter({
    name: 'greencart_websocket_refusals_total',
    help: 'WebSocket connections refused or closed for a client limit, by reason.',
    labelNames: ['reason'],
    registers: [options.registry],
  });

  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Past the upgrade, node's HTTP server no longer handles this socket's errors (a reset would crash the process).
    socket.on('error', (error: Error) => logger.debug('WebSocket transport error', { error: error.message }));
    if (new URL(request.url ?? '/', 'http://gateway').pathname !== options.path) {
      return refuseUpgrade(socket, 400, 'Bad Request', `WebSocket connections are served at ${options.path} only.`, 'BAD_REQUEST');
    }
    const clientAddress = options.clientAddress(request);
    const address = clientAddress ?? 'unknown';
    const held = perAddress.get(address) ?? 0;
    if (held >= limits.connectionsPerAddress) {
      refusals.inc({ reason: 'connections_per_address' });
      logger.debug('refused a WebSocket connection: too many from its address', { clientAddress, limit: limits.connectionsPerAddress });
      return refuseUpgrade(socket, 429, 'Too Many Requests', `At most ${limits.connectionsPerAddress} WebSocket connections from one address.`, ErrorCode.RATE_LIMITED);
    }
    // Counted from now until the TCP connection closes, whether or not the handshake succeeds.
    perAddress.set(address, held + 1);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    webSockets.handleUpgrade(request, socket, head, (webSocket) => serve(webSocket, socket, request, clientAddress));
  };
  options.httpServer.on('upgrade', onUpgrade);

  const serve = (socket: WebSocket, connection: Duplex, request: http.IncomingMessage, clientAddress: string | undefined) => {
    open.inc();
    // ws closes the socket itself on a frame it cannot take (1009 for one over maxPayload, 1002 or 1007 otherwise).
    socket.on('error', (error: Error & { code?: string }) => {
      // ws would read on (and drop) whatever the client still sends until it answers the close: stop
      // reading instead, so the rest of an oversized frame waits in TCP, and end the connection once
      // the close frame has had time to go out.
      setImmediate(() => connection.pause());
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') refusals.inc({ reason: 'frame_too_large' });
      logger.info('closed a WebSocket: its client broke the protocol', { clientAddress, code: error.code, reason: error.message });
    });
    let pingTimer: NodeJS.Timeout | undefined;
    let pongWait: NodeJS.Timeout | undefined;
    pingTimer = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait ??= setTimeout(() => socket.terminate(), options.keepAliveMs);
      socket.ping();
    }, options.keepAliveMs);
    socket.on('pong', () => {
      clearTimeout(pongWait);
      pongWait = undefined;
    });

    // Bytes of this socket's messages still being handled; past a frame's worth, reading stops until they are done.
    let held = 0;
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        // A socket closing under a send is the client leaving, nothing to report.
        send: (data) => new Promise<void>((resolve) => (socket.readyState === socket.OPEN ? socket.send(data, () => resolve()) : resolve())),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            const bytes = byteLength(data);
            held += bytes;
            pendingBytes.inc(bytes);
            if (held > limits.maxFrameBytes && !socket.isPaused) socket.pause();
            let released = false;
            const release = () => {
              if (released) return;
              released = true;
              held -= bytes;
              pendingBytes.dec(bytes);
              if (held <= limits.maxFrameBytes && socket.isPaused) socket.resume();
            };
            const { text, payload } = withoutPayload(String(data));
            messageInHand.set(socket, { release, payload });
            const handling = handle(text);
            messageInHand.delete(socket);
            handling
              .catch((error: unknown) => {
                if (error instanceof Error && CLIENT_SENT_SERVER_MESSAGE.test(error.message)) {
                  logger.info('closed a WebSocket: its client sent a message only a server sends', { clientAddress, reason: error.message });
                  return socket.close(CloseCode.BadRequest, 'Invalid message received');
                }
                logger.error('could not handle a WebSocket message', { clientAddress, ...errorFields(error) });
                socket.close(CloseCode.InternalServerError, 'Internal server error');
              })
              .finally(release);
          }),
      },
      { socket, request, clientAddress },
    );
    socket.once('close', (code, reason) => {
      open.dec();
      clearInterval(pingTimer);
      clearTimeout(pongWait);
      pingTimer = undefined;
      closed(code, String(reason)).catch((error: unknown) => logger.error('could not close a WebSocket connection cleanly', errorFields(error)));
    });
  };

  return {
    async stop() {
      options.httpServer.off('upgrade', onUpgrade);
      // 1001 Going Away: subscribers reconnect, to another gateway if there is one.
      for (const socket of webSockets.clients) socket.close(1001, 'Server shutting down');
      await new Promise<void>((resolve) => webSockets.close(() => resolve()));
    },
  };
}
