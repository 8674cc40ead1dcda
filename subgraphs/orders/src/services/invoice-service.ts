import { connectionPage, decodeTimeCursor, encodeTimeCursor, pageSize, type AuthenticatedUser } from '@greencart/platform';
import type { OrdersDb } from '../db/database.js';
import { InvoiceRepository } from '../db/invoice-repository.js';
import type { OrderScope } from '../db/order-repository.js';
import type { InvoiceRow } from '../db/schema.js';

/** A page of invoices, with what is needed to count them all only if the client asks. */
export interface InvoicePage {
  edges: Array<{ cursor: string; node: InvoiceRow }>;
  pageInfo: ReturnType<typeof connectionPage>['pageInfo'];
  scope: OrderScope;
}

/** Reading invoices: the customer's own, or every one for an admin. */
export class InvoiceService {
  private readonly invoices: InvoiceRepository;

  constructor(db: OrdersDb) {
    this.invoices = new InvoiceRepository(db);
  }

  async list(scope: OrderScope, args: { first?: number | null; after?: string | null }): Promise<InvoicePage> {
    const first = pageSize(args.first);
    const rows = await this.invoices.listPage(scope, decodeTimeCursor(args.after), first + 1);
    return { ...connectionPage(rows, first, args.after, (row) => encodeTimeCursor(row.issuedAt, row.id)), scope };
  }

  count(scope: OrderScope): Promise<number> {
    return this.invoices.count(scope);
  }

  async find(user: AuthenticatedUser, id: string): Promise<InvoiceRow | null> {
    const [invoice] = await this.invoices.findByIds([id]);
    return invoice && (user.role === 'ADMIN' || invoice.customerId === user.id) ? invoice : null;
  }
}
