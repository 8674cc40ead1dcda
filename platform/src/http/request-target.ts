import type { Express, RequestHandler } from 'express';
import { refuse } from './refusals.js';

/**
 * How a GreenCart process reads a request's target (its path and query string): once, here, so
 * that every check, every route and Apollo see the same parameters. Express's own parser stopped at
 * 1,000 parameters while Apollo read them all, so a check could look at other values than the ones
 * that ran; and a target in absolute form (`GET http://elsewhere/...`) reached the routes as it was.
 */

/** The most parameters a query string may carry: GraphQL over GET needs five at most. */
export const MAX_QUERY_PARAMETERS = 32;

/** Parses a query string the one way GreenCart does: URLSearchParams, as Apollo does, into a record without a prototype. */
export function queryParameters(search: string): Record<string, string> {
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(search)) parameters[name] ??= value;
  return parameters;
}

/** What a request target is, once read: refused with a reason, or the path and parameters to serve. */
export type ReadTarget = { refusal: string } | { path: string; search: URLSearchParams };

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;
// Any origin would do: an origin-form target is appended to it, never resolved against it.
const ORIGIN_FORM_BASE = 'http://request-target.invalid';

/**
 * Reads a request target. An origin-form target (`/graphql?…`) is read as a path; an absolute-form
 * one (`http://host/graphql`, which HTTP/1.1 servers must accept) only when it names this server,
 * the request's own Host, and is then served as its path alone. Anything else (another host,
 * `*`, an authority, too many parameters, a parameter named twice) is refused.
 */
export function readRequestTarget(target: string, host: string | undefined): ReadTarget {
  let url: URL;
  if (target.startsWith('/')) {
    // Appended, not resolved: `//elsewhere/x` stays a path on this server.
    url = new URL(`${ORIGIN_FORM_BASE}${target}`);
  } else if (ABSOLUTE_FORM.test(target)) {
    try {
      url = new URL(target);
    } catch {
      return { refusal: 'The request target is not a valid URL.' };
    }
    const sameHost = host !== undefined && url.host.toLowerCase() === host.toLowerCase();
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !sameHost || url.username || url.password) {
      return { refusal: 'A request target in absolute form must name this server (its Host); send the path alone.' };
    }
  } else {
    return { refusal: 'The request target must be a path (/graphql).' };
  }
  const names = [...url.searchParams.keys()];
  if (names.length > MAX_QUERY_PARAMETERS) return { refusal: `The query string has more than ${MAX_QUERY_PARAMETERS} parameters.` };
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) return { refusal: `The query string names the parameter "${repeated.slice(0, 40)}" more than once.` };
  return { path: url.pathname, search: url.searchParams };
}

/**
 * Installs the one reading of request targets on an app: Express's `req.query` becomes
 * queryParameters, and the first middleware refuses a bad target (400 BAD_REQUEST) or rewrites it
 * as its path and canonical query string, which every parser after it (routes, Apollo) reads alike.
 */
export function oneRequestTarget(app: Express): RequestHandler {
  app.set('query parser', queryParameters);
  return (req, res, next) => {
    const read = readRequestTarget(req.url, req.headers.host);
    if ('refusal' in read) return refuse(res, 400, read.refusal, 'BAD_REQUEST');
    const search = read.search.toString();
    req.url = search === '' ? read.path : `${read.path}?${search}`;
    req.originalUrl = req.url;
    next();
  };
}
