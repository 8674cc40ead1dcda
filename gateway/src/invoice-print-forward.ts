import type { RequestHandler } from 'express';
import { isUuid, REQUEST_ID_HEADER, requestScopeOf, SERVICE_TOKEN_HEADER, type ServiceCredentials } from '@greencart/platform';

/** The headers of orders' invoice page that the browser should get as they are. */
const FORWARDED_HEADERS = ['content-type', 'content-security-policy', 'cache-control', 'referrer-policy'];

/** The query parameters of a signed invoice link (invoice-links.ts in orders): all that is forwarded. */
const LINK_PARAMETERS = ['expires', 'signature'] as const;

/**
 * Where a browser's request for an invoice page goes in orders: built from the validated id and
 * the link's own parameters only, never from the request's target, so no request can send the
 * gateway's service token anywhere but to orders' invoice route. Undefined for an id that is no invoice's.
 */
export function invoicePageUrl(orders: string, id: string, query: Record<string, unknown>): URL | undefined {
  if (!isUuid(id)) return undefined;
  const url = new URL(`/invoices/${id.toLowerCase()}/print`, orders);
  for (const name of LINK_PARAMETERS) {
    const value = query[name];
    if (typeof value === 'string') url.searchParams.set(name, value);
  }
  return url;
}

/**
 * `GET /invoices/:id/print`: browsers open the signed link here, and the gateway forwards it, with
 * its service credentials, to the orders subgraph, which checks the signature and renders the page.
 */
export function invoicePrintForward(options: { ordersUrl: () => string | undefined; credentials: ServiceCredentials; timeoutMs: number }): RequestHandler {
  return async (req, res) => {
    const orders = options.ordersUrl();
    const target = orders ? invoicePageUrl(orders, String(req.params.id), req.query) : undefined;
    if (orders && !target) {
      res.status(404).type('text/plain').send('No such invoice.');
      return;
    }
    const answer = target
      ? await fetch(target, {
          headers: { [SERVICE_TOKEN_HEADER]: await options.credentials.token('orders'), [REQUEST_ID_HEADER]: requestScopeOf(res).requestId },
          signal: AbortSignal.timeout(options.timeoutMs),
          // Orders answers the page itself; a redirect would be followed with the service token.
          redirect: 'manual',
        }).catch(() => undefined)
      : undefined;
    if (!answer) {
      res.status(orders ? 502 : 503).type('text/plain').send('Invoices are not available right now.');
      return;
    }
    for (const header of FORWARDED_HEADERS) {
      const value = answer.headers.get(header);
      if (value) res.set(header, value);
    }
    res.status(answer.status).send(Buffer.from(await answer.arrayBuffer()));
  };
}
