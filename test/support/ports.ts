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
const RANGE_FROM = 20_000;
const RANGE_BELOW = Math.max(RANGE_FROM + 1_000, Math.min(EPHEMERAL_START, 32_768));
// Each vitest worker (and the main process, pool 0) picks from a slice of its own, so two test
// files running at once never pick the same port; within a process, no port is handed out twice
// (a test picks several before it binds any).
const SLICES = 4;
const SLICE = Math.floor((RANGE_BELOW - RANGE_FROM) / SLICES);
const PICK_FROM = RANGE_FROM + (Number(process.env.VITEST_POOL_ID ?? 0) % SLICES) * SLICE;
const PICK_BELOW = PICK_FROM + SLICE;
const handedOut = new Set<number>();

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
    if (handedOut.has(port) || !(await tryListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found between ${PICK_FROM} and ${PICK_BELOW}`);
}

/** Whether anything accepts connections on the port. */
export async function isListening(port: number): Promise<boolean> {
  return !(await tryListen(port));
}
