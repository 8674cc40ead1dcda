import type { RequestHandler } from 'express';
import { REQUEST_ID_HEADER, requestScopeOf, SERVICE_TOKEN_HEADER, type ServiceCredentials } from '@greencart/platform';

/** The headers of orders' invoice page that the browser should get as they are. */
const FORWARDED_HEADERS = ['content-type', 'content-security-policy', 'cache-control', 'referrer-policy'];

/**
 * `GET /invoices/:id/print`: browsers open the signed link here, and the gateway forwards it, with
 * its service credentials, to the orders subgraph, which checks the signature and renders the page.
 */
export function invoicePrintForward(options: { ordersUrl: () => string | undefined; credentials: ServiceCredentials; timeoutMs: number }): RequestHandler {
  return async (req, res) => {
    const orders = options.ordersUrl();
    const answer = orders
      ? await fetch(new URL(req.originalUrl, orders), {
          headers: { [SERVICE_TOKEN_HEADER]: await options.credentials.token('orders'), [REQUEST_ID_HEADER]: requestScopeOf(res).requestId },
          signal: AbortSignal.timeout(options.timeoutMs),
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
