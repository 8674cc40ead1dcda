import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a print link works: long enough to open it, short enough that a shared link soon dies. */
export const PRINT_LINK_SECONDS = 600;

/**
 * Signed links to an invoice's printable page. A browser cannot send a bearer token when it opens
 * a link, so the link itself proves that its holder could read the invoice a moment ago: an HMAC
 * of the invoice id and an expiry, with a secret only the orders subgraph knows.
 */
export function createInvoiceLinks(options: { secret: string; publicUrl: string; now?: () => number }) {
  const now = options.now ?? Date.now;
  const sign = (invoiceId: string, expires: number) => createHmac('sha256', options.secret).update(`${invoiceId}.${expires}`).digest('base64url');
  return {
    printUrl(invoiceId: string): string {
      const expires = Math.floor(now() / 1000) + PRINT_LINK_SECONDS;
      const url = new URL(`/invoices/${invoiceId}/print`, options.publicUrl);
      url.searchParams.set('expires', String(expires));
      url.searchParams.set('signature', sign(invoiceId, expires));
      return url.toString();
    },
    /** Whether the link's signature is ours and it has not expired. */
    verify(invoiceId: string, expires: string | undefined, signature: string | undefined): boolean {
      const expiresAt = Number(expires);
      if (!signature || !Number.isInteger(expiresAt) || expiresAt < now() / 1000) return false;
      const expected = Buffer.from(sign(invoiceId, expiresAt));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
export type InvoiceLinks = ReturnType<typeof createInvoiceLinks>;
