import type { RequestHandler } from 'express';
import { isUuid, type ServiceCredentials } from '@greencart/platform';
import { forwardToSubgraph } from './subgraph-forward.js';

/** The query parameters of a signed invoice link (invoice-links.ts in orders): all that is forwarded. */
const LINK_PARAMETERS = ['expires', 'signature'] as const;

/**
 * Where a browser's request for an invoice page goes in orders: built from the validated id and
 * the link's own parameters only, never from the request's target, so no request can send the
 * gateway's service token anywhere but to orders' invoice route. Undefined for an id that is no invoice's.
 */
export function invoicePageUrl(origin: string, id: string, query: Record<string, unknown>): URL | undefined {
  if (!isUuid(id)) return undefined;
  const url = new URL(`/invoices/${id.toLowerCase()}/print`, origin);
  for (const name of LINK_PARAMETERS) {
    const value = query[name];
    if (typeof value === 'string') url.searchParams.set(name, value);
  }
  return url;
}

/**
 * `GET /invoices/:id/print`: browsers open the signed link here, and the gateway forwards it, with
 * its service credentials, to the subgraph whose route it is (orders, in the manifest), which checks
 * the signature and renders the page.
 */
export function invoicePrintForward(options: { subgraph: string; url: () => string | undefined; credentials: ServiceCredentials; timeoutMs: number }): RequestHandler {
  return async (req, res) => {
    const origin = options.url();
    const target = origin ? invoicePageUrl(origin, String(req.params.id), req.query) : undefined;
    if (origin && !target) {
      res.status(404).type('text/plain').send('No such invoice.');
      return;
    }
    await forwardToSubgraph(res, target, { subgraph: options.subgraph, credentials: options.credentials, timeoutMs: options.timeoutMs, unavailable: 'Invoices are not available right now.' });
  };
}
