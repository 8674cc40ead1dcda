import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A load balancer in front of a service's replicas, as HAProxy or an ingress in HTTP mode is. */
export interface RoundRobinProxy {
  url: string;
  /** Requests a backend (by port) took and then dropped unanswered or half answered: what its death cut off. */
  cutOff(port: number): number;
  stop(): Promise<void>;
}

/**
 * Sends each HTTP request to the next backend in turn (over a connection of its own, so even one
 * client connection's requests are spread), and each WebSocket upgrade too. A backend
 * that refuses the connection is skipped, as a balancer's health check would take it out; a request
 * cut off by a backend that dies answers 502.
 */
export async function startRoundRobinProxy(backends: Array<{ port: number }>): Promise<RoundRobinProxy> {
  let next = 0;
  const cutOff = new Map<number, number>();
  const countCutOff = (port: number) => cutOff.set(port, (cutOff.get(port) ?? 0) + 1);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const forward = (incoming: IncomingMessage, body: Buffer, respond: (upstream: IncomingMessage) => void, fail: () => void, tries = 0) => {
    if (tries === backends.length) return fail();
    const { port } = backends[next++ % backends.length]!;
    let answered = false;
    const outgoing = httpRequest({ host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent: false }, (upstream) => {
      answered = true;
      upstream.on('error', () => countCutOff(port));
      respond(upstream);
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (!answered && error.code === 'ECONNREFUSED') forward(incoming, body, respond, fail, tries + 1);
      else if (!answered) {
        countCutOff(port);
        fail();
      }
    });
    outgoing.end(body);
  };

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () =>
      forward(
        incoming,
        Buffer.concat(chunks),
        (upstream) => {
          response.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(response);
          upstream.on('error', () => response.destroy());
          response.on('close', () => upstream.destroy());
        },
        () => {
          if (!response.headersSent) response.writeHead(502).end();
          else response.destroy();
        },
      ),
    );
  });
  // Idle connections stay open longer than the gateway's and orders' pools keep theirs (30 s), as the
  // subgraphs' own servers do (65 s): a balancer that closed them first would cut off reused sockets.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('connection', track);
  server.on('upgrade', (incoming: IncomingMessage, client: Socket, head: Buffer) => {
    const { port } = backends[next++ % backends.length]!;
    const upstream = connect(port, '127.0.0.1', () => {
      const headers = Object.entries(incoming.headers).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((one) => `${name}: ${one}`));
      upstream.write(`${incoming.method} ${incoming.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cutOff: (port) => cutOff.get(port) ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
