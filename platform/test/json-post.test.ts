import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonPoster, type JsonPoster } from '../src/http/json-post.js';

/** A real HTTP server on loopback that answers each POST with `answer(body)` after `delayMs`. */
async function server(answer: (body: string) => { status: number; body: string }, delayMs = 0): Promise<{ url: URL; server: Server; connections: Set<unknown>; peak: () => number }> {
  const connections = new Set<unknown>();
  let inFlight = 0;
  let peak = 0;
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        const { status, body: text } = answer(body);
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      }, delayMs);
    });
  });
  http.on('connection', (socket) => connections.add(socket));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`), server: http, connections, peak: () => peak };
}

describe('createJsonPoster', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const close of cleanup.splice(0)) close();
  });
  const poster = (maxSockets: number): JsonPoster => {
    const made = createJsonPoster({ maxSockets });
    cleanup.push(() => made.close());
    return made;
  };

  it('posts the body with its headers and returns the status and the body', async () => {
    const target = await server((body) => ({ status: 201, body: JSON.stringify({ echoed: JSON.parse(body) }) }));
    cleanup.push(() => target.server.close());
    const answer = await poster(4).post(target.url, { 'content-type': 'application/json' }, JSON.stringify({ query: '{ x }' }), 1_000);
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toEqual({ echoed: { query: '{ x }' } });
  });

  it('reuses connections and never opens more than maxSockets to one origin', async () => {
    const target = await server(() => ({ status: 200, body: '{}' }), 20);
    cleanup.push(() => target.server.close());
    const pool = poster(2);
    await Promise.all(Array.from({ length: 10 }, () => pool.post(target.url, {}, '{}', 5_000)));
    expect(target.connections.size).toBe(2);
    expect(target.peak()).toBe(2);
  });

  it('gives up after timeoutMs', async () => {
    const target = await server(() => ({ status: 200, body: '{}' }), 500);
    cleanup.push(() => target.server.close());
    await expect(poster(1).post(target.url, {}, '{}', 50)).rejects.toThrow(/no answer within 50 ms/);
  });

  it('rejects when nobody listens', async () => {
    const target = await server(() => ({ status: 200, body: '{}' }));
    const url = target.url;
    await new Promise((resolve) => target.server.close(resolve));
    await expect(poster(1).post(url, {}, '{}', 1_000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
