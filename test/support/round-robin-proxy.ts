import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP load balancer in front of a service's replicas, as a Kubernetes Service or HAProxy in TCP mode is. */
export interface RoundRobinProxy {
  url: string;
  /** How many connections each backend has been given, in backend order. */
  connectionsPerBackend(): number[];
  stop(): Promise<void>;
}

/**
 * Hands each new connection to the next backend in turn (HTTP keep-alive and WebSocket
 * connections stay where they landed); a backend that refuses the connection is skipped, as a load
 * balancer's health check would take it out.
 */
export async function startRoundRobinProxy(backends: Array<{ port: number }>): Promise<RoundRobinProxy> {
  let next = 0;
  const counts = backends.map(() => 0);
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    client.pause();
    const attempt = (tries: number) => {
      if (tries === backends.length) return client.destroy();
      const index = next++ % backends.length;
      const upstream = connect(backends[index]!.port, '127.0.0.1');
      let connected = false;
      upstream.once('error', () => {
        if (!connected) attempt(tries + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        counts[index]!++;
        track(upstream);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connectionsPerBackend: () => [...counts],
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
