import type { RequestHandler, Response } from 'express';
import { REQUEST_ID_HEADER, requestScopeOf, SERVICE_TOKEN_HEADER, type ServiceCredentials } from '@greencart/platform';

/** A path parameter passed on: letters, digits, `-` and `_`, as ids and slugs are (never `/`, `.` or `%`). */
const PATH_PARAMETER = /^[A-Za-z0-9_-]{1,128}$/;

/** The headers of a subgraph's answer that the browser gets as they are. */
const FORWARDED_HEADERS = ['content-type', 'content-security-policy', 'cache-control', 'referrer-policy', 'etag', 'last-modified'];

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

/**
 * Sends a GET to `target` on a subgraph with the gateway's service credentials and answers the
 * browser with the subgraph's status, body and FORWARDED_HEADERS; a subgraph that does not answer
 * is `unavailable` (502, or 503 without a target). No redirect is followed: it would carry the token.
 */
export async function forwardToSubgraph(
  res: Response,
  target: URL | undefined,
  options: { subgraph: string; credentials: ServiceCredentials; timeoutMs: number; unavailable: string },
): Promise<void> {
  const answer = target
    ? await fetch(target, {
        headers: { [SERVICE_TOKEN_HEADER]: await options.credentials.token(options.subgraph), [REQUEST_ID_HEADER]: requestScopeOf(res).requestId },
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'manual',
      }).catch(() => undefined)
    : undefined;
  if (!answer) {
    res.status(target ? 502 : 503).type('text/plain').send(options.unavailable);
    return;
  }
  for (const header of FORWARDED_HEADERS) {
    const value = answer.headers.get(header);
    if (value) res.set(header, value);
  }
  res.status(answer.status).send(Buffer.from(await answer.arrayBuffer()));
}

/**
 * `GET <pattern>` forwarded, with the gateway's service credentials, to the same path on a
 * subgraph (a manifest's gateway route with no forward of its own). The subgraph's URL is built
 * from its origin, the pattern with checked parameters, and the query string parsed and written
 * again: never from the request's own URL.
 */
export function subgraphForward(options: { subgraph: string; pattern: string; url: () => string | undefined; credentials: ServiceCredentials; timeoutMs: number }): RequestHandler {
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
    await forwardToSubgraph(res, target, { ...options, unavailable: `${options.subgraph} is not available right now.` });
  };
}
