import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports the kernel hands out for outgoing connections (and for listen(0)); a port picked there
// and bound a moment later can meanwhile be taken by any connection to PostgreSQL or a subgraph,
// which once failed CI with EADDRINUSE. Ports are picked below that range instead.
const EPHEMERAL_START = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const PICK_FROM = 20_000;
const PICK_BELOW = Math.max(PICK_FROM + 1_000, Math.min(EPHEMERAL_START, 32_768));

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A TCP port that was free a moment ago on the loopback interface, chosen at random outside the
 * kernel's ephemeral range so that nothing but another test's pick can take it before it is bound.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = PICK_FROM + Math.floor(Math.random() * (PICK_BELOW - PICK_FROM));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port found between ${PICK_FROM} and ${PICK_BELOW}`);
}

/** Whether anything accepts connections on the port. */
export async function isListening(port: number): Promise<boolean> {
  return !(await tryListen(port));
}
