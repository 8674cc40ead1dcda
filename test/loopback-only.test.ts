import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/**
 * Nothing phones home: the gateway and the subgraphs, started and used, open connections only on
 * the loopback interface. Every TCP connection this process makes is recorded (the four services
 * run in it), from before the gateway is built until a while after it served requests, which is
 * when a library's telemetry or cloud-metadata lookup would go out.
 */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);
const destinations: string[] = [];
const originalConnect = Socket.prototype.connect;
let supergraph: TestSupergraph;

beforeAll(async () => {
  Socket.prototype.connect = function recordingConnect(this: Socket, ...args: unknown[]) {
    // http and net call connect with their normalised [options, callback] pair; users with (options) or (port, host).
    const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    const options =
      typeof first === 'object' && first !== null ? (first as { host?: string; port?: number; path?: string }) : { port: first as number, host: typeof second === 'string' ? second : undefined };
    if (!options.path) destinations.push(`${options.host ?? 'localhost'}:${options.port}`);
    return (originalConnect as (...all: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  supergraph = await startSupergraph();
});
afterAll(async () => {
  if (!stopped) await supergraph?.stop();
  Socket.prototype.connect = originalConnect;
});
let stopped = false;

describe('network use at run time', () => {
  it('connects to nothing but loopback addresses while the supergraph starts and serves', async () => {
    const answer = await fetch(`${supergraph.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products(first: 3) { edges { node { id name stock } } } }' }),
    });
    expect(answer.status).toBe(200);
    // Telemetry and cloud-metadata lookups start in the background, a moment after start-up; a
    // telemetry exporter sends what it holds when it is shut down.
    await sleep(2_000);
    await supergraph.stop();
    stopped = true;
    await sleep(1_000);
    expect(destinations.length).toBeGreaterThan(0);
    expect(destinations.filter((destination) => !LOOPBACK.has(destination.slice(0, destination.lastIndexOf(':'))))).toEqual([]);
  });
});
