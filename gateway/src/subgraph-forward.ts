import { Readable } from 'node:stream';
import type { Request, RequestHandler, Response } from 'express';
import { REQUEST_ID_HEADER, refuse, requestScopeOf, SERVICE_TOKEN_HEADER, type GatewayRouteMethod, type ServiceCredentials } from '@greencart/platform';

/**
 * A path parameter passed on: letters, digits, `-` and `_`, as ids and slugs are, optionally with
 * one file extension (`640.webp`); never `/`, `%`, a leading dot or `..`.
 */
const PATH_PARAMETER = /^[A-Za-z0-9_-]{1,128}(?:\.[A-Za-z0-9]{1,16})?$/;

/** The headers of a subgraph's answer that the browser gets as they are. */
const FORWARDED_HEADERS = ['content-type', 'content-security-policy', 'cache-control', 'referrer-policy', 'etag', 'last-modified', 'x-content-type-options', 'retry-after'];

/**
 * The headers of the browser's request that the subgraph gets: what a body is and how long it is,
 * and the ETag a browser or CDN already holds (so the subgraph can answer 304). Nothing else: not
 * its cookies or Authorization, which the subgraph has no use for.
 */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'content-length', 'if-none-match'];

/** The default cap on a request body the gateway forwards (a route with PUT or POST): 10 MiB, an image upload's limit. */
export const DEFAULT_MAX_FORWARDED_BODY_BYTES = 10 * 1024 * 1024;

/** Raised inside the body stream when a forwarded body passes its cap, so the forward can answer 413. */
class ForwardedBodyTooLarge extends Error {}

/** The request's body as a stream of chunks that fails once more than `maxBytes` have been read. */
async function* cappedBody(req: Request, maxBytes: number): AsyncGenerator<Uint8Array> {
  let read = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    read += chunk.length;
    if (read > maxBytes) throw new ForwardedBodyTooLarge();
    yield chunk;
  }
}

/**
 * The path a route pattern (`/labels/:id`) names for these parameters, each checked; undefined
 * when one is missing or is not a plain id, so nothing the client sends can reach another path.
 */
export function forwardedPath(pattern: string, params: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const segments = pattern.split('/').map((segment) => {
    if (!segment.startsWith(':')) return segment;
    const value = params[segment.slice(1)];
    return typeof value === 'string' && PATH_PARAMETER.test(value) ? value : undefined;
  });
  return segments.every((segment) => segment !== undefined) ? segments.join('/') : undefined;
}

/** How a forward sends the browser's request on: its method, and for PUT or POST its body, capped. */
export interface ForwardedRequest {
  req: Request;
  method: GatewayRouteMethod;
  /** The most body bytes forwarded; a longer body is refused with 413 (PUT and POST only). */
  maxBodyBytes: number;
}

/**
 * Sends the request on to `target` on a subgraph with the gateway's service credentials (GET
 * unless `forwarded` says otherwise, a body streamed under its cap) and answers the browser with
 * the subgraph's status, body and FORWARDED_HEADERS; a subgraph that does not answer is
 * `unavailable` (502, or 503 without a target). No redirect is followed: it would carry the token.
 */
export async function forwardToSubgraph(
  res: Response,
  target: URL | undefined,
  options: { subgraph: string; credentials: ServiceCredentials; timeoutMs: number; unavailable: string },
  forwarded?: ForwardedRequest,
): Promise<void> {
  const method = forwarded?.method ?? 'GET';
  const withBody = method !== 'GET' && forwarded !== undefined;
  const declaredLength = Number(forwarded?.req.get('content-length'));
  if (withBody && declaredLength > forwarded.maxBodyBytes) {
    refuse(res, 413, `The request body is larger than ${forwarded.maxBodyBytes} bytes.`, 'PAYLOAD_TOO_LARGE');
    return;
  }
  let tooLarge = false;
  const send = async (url: URL) => {
    const headers: Record<string, string> = { [SERVICE_TOKEN_HEADER]: await options.credentials.token(options.subgraph), [REQUEST_ID_HEADER]: requestScopeOf(res).requestId };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = forwarded?.req.get(name);
      // A GET's only header passed on is If-None-Match: it has no body to describe.
      if (value !== undefined && (withBody || name === 'if-none-match')) headers[name] = value;
    }
    return fetch(url, {
      method,
      headers,
      ...(withBody ? { body: Readable.toWeb(Readable.from(cappedBody(forwarded.req, forwarded.maxBodyBytes))) as ReadableStream<Uint8Array>, duplex: 'half' as const } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'manual',
    }).catch((error: unknown) => {
      tooLarge = error instanceof ForwardedBodyTooLarge || (error as { cause?: unknown }).cause instanceof ForwardedBodyTooLarge;
      return undefined;
    });
  };
  const answer = target ? await send(target) : undefined;
  if (tooLarge) {
    refuse(res, 413, `The request body is larger than ${forwarded!.maxBodyBytes} bytes.`, 'PAYLOAD_TOO_LARGE');
    return;
  }
  if (!answer) {
    res
      .status(target ? 502 : 503)
      .type('text/plain')
      .send(options.unavailable);
    return;
  }
  for (const header of FORWARDED_HEADERS) {
    const value = answer.headers.get(header);
    if (value) res.set(header, value);
  }
  res.status(answer.status).send(Buffer.from(await answer.arrayBuffer()));
}

/**
 * `<method> <pattern>` forwarded, with the gateway's service credentials, to the same path on a
 * subgraph (a manifest's gateway route with no forward of its own). The subgraph's URL is built
 * from its origin, the pattern with checked parameters, and the query string parsed and written
 * again: never from the request's own URL.
 */
export function subgraphForward(options: {
  subgraph: string;
  pattern: string;
  method: GatewayRouteMethod;
  maxBodyBytes: number;
  url: () => string | undefined;
  credentials: ServiceCredentials;
  timeoutMs: number;
}): RequestHandler {
  return async (req, res) => {
    const path = forwardedPath(options.pattern, req.params);
    if (!path) {
      res.status(404).type('text/plain').send('Not found.');
      return;
    }
    const origin = options.url();
    let target: URL | undefined;
    if (origin) {
      target = new URL(origin);
      target.pathname = path;
      const query = req.originalUrl.indexOf('?');
      target.search = query < 0 ? '' : new URLSearchParams(req.originalUrl.slice(query + 1)).toString();
    }
    await forwardToSubgraph(res, target, { ...options, unavailable: `${options.subgraph} is not available right now.` }, { req, method: options.method, maxBodyBytes: options.maxBodyBytes });
  };
}
