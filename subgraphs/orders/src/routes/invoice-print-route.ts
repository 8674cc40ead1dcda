import type { Express } from 'express';
import { isUuid, mayCall, SERVICE_TOKEN_HEADER, type ServiceCredentials } from '@greencart/platform';
import type { OrdersDatabase } from '../db/database.js';
import { InvoiceRepository } from '../db/invoice-repository.js';
import { OrderRepository } from '../db/order-repository.js';
import type { InvoiceLinks } from '../services/invoice-links.js';
import { renderInvoicePage } from '../services/invoice-page.js';

/**
 * `GET /invoices/:id/print?expires=…&signature=…`: the printable invoice, for a link that
 * `Invoice.printUrl` signed. Like GraphQL here, it answers only GreenCart services (the gateway
 * forwards browsers' requests).
 */
export function invoicePrintRoute(deps: { database: OrdersDatabase; credentials: ServiceCredentials; invoiceLinks: InvoiceLinks }) {
  return (app: Express) => {
    app.get('/invoices/:id/print', async (req, res) => {
      const caller = await deps.credentials.verify(req.get(SERVICE_TOKEN_HEADER));
      if (!caller) {
        res.status(401).type('text/plain').send('This service answers only other GreenCart services.');
        return;
      }
      if (!mayCall(caller, 'orders', 'invoicePrint')) {
        res.status(403).type('text/plain').send('Invoice pages are forwarded by the gateway only.');
        return;
      }
      const id = req.params.id;
      const query = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);
      if (!isUuid(id) || !deps.invoiceLinks.verify(id, query('expires'), query('signature'))) {
        res.status(403).type('text/plain').send('This invoice link is not valid or has expired. Open the invoice again from your account.');
        return;
      }
      const [invoice] = await new InvoiceRepository(deps.database.db).findByIds([id]);
      const [order] = invoice ? await new OrderRepository(deps.database.db).findByIds([invoice.orderId]) : [];
      if (!invoice || !order) {
        res.status(404).type('text/plain').send('No such invoice.');
        return;
      }
      const lines = await new InvoiceRepository(deps.database.db).linesOf([invoice.id]);
      res
        .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .set('cache-control', 'private, no-store')
        .set('referrer-policy', 'no-referrer')
        .type('html')
        .send(renderInvoicePage(invoice, order, lines));
    });
  };
}
