import cors from 'cors';
import type { RequestHandler } from 'express';
import type { Logger } from '@greencart/platform';

/** The request headers the common clients send from a browser (fetch, Apollo Client, urql). */
// Apollo Client 4 names itself in apollographql-client-name/-version (its clientAwareness), older clients in apollo-client-*.
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollo-client-name',
  'apollo-client-version',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-request-id',
];

/** How long a browser may reuse a preflight's answer (Chromium caps it at two hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 7_200;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether an origin is on this machine (`http://localhost:5173`, `http://[::1]:3000`, …): development's default. */
export function isLocalOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOCAL_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/** Which browser origins may call the gateway: the configured list, or local ones in development, or none. */
export function allowedOrigin(options: { origins: readonly string[] | undefined; production: boolean }): (origin: string) => boolean {
  if (options.origins) {
    const exact = new Set(options.origins);
    return (origin) => exact.has(origin);
  }
  return options.production ? () => false : isLocalOrigin;
}

/**
 * CORS for `/graphql` (and, with their own `methods`, the gateway routes that take a body, such as
 * image uploads), with the `cors` middleware: an allowed origin's preflight is answered 204
 * with the origin, GET and POST (or `methods`), the clients' headers and a max age, without reaching GraphQL; its
 * actual requests get the origin back. Any other origin gets no Access-Control-Allow-* header at
 * all (its preflight too is answered 204, so a browser refuses the request itself). No cookies are
 * used, so credentials are never allowed. Every answer varies by Origin, for caches in between.
 */
export function browserAccess(options: { origins: readonly string[] | undefined; production: boolean; logger: Logger; methods?: readonly string[] }): RequestHandler[] {
  const allowed = allowedOrigin(options);
  // Said once, for /graphql; the other routes follow the same setting.
  if (options.production && !options.origins && !options.methods) {
    options.logger.info('CORS_ORIGINS is not set: browser apps on other origins cannot call the gateway (same-origin only)');
  }
  const allowCors = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed(origin)),
    methods: [...(options.methods ?? ['GET', 'POST'])],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    optionsSuccessStatus: 204,
  });
  return [
    (_req, res, next) => {
      res.vary('Origin');
      next();
    },
    allowCors,
    // Reached only by a preflight cors did not answer: an origin that is not allowed.
    (req, res, next) => (req.method === 'OPTIONS' ? res.status(204).end() : next()),
  ];
}
