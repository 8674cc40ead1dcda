import { describe, expect, it } from 'vitest';
import { createInvoiceLinks, PRINT_LINK_SECONDS } from '../src/services/invoice-links.js';

const INVOICE_ID = '3f1c2b7e-8d4a-4c1e-9b6f-2a7d5e8c0f11';
const OTHER_INVOICE_ID = '9a0e4d2c-1b3f-4e5a-8c7d-6f2b1a0e9d33';
/** A whole second, so that expiry lands exactly PRINT_LINK_SECONDS after "now". */
const ISSUED_AT_MS = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Links on a clock the test moves; answers the parts of a fresh link for INVOICE_ID. */
function linksAt(startMs = ISSUED_AT_MS, secret = 'a-test-secret-of-enough-length-000000') {
  const clock = { now: startMs };
  const links = createInvoiceLinks({ secret, publicUrl: 'http://127.0.0.1:4000', now: () => clock.now });
  const url = new URL(links.printUrl(INVOICE_ID));
  return { clock, links, url, expires: url.searchParams.get('expires') ?? undefined, signature: url.searchParams.get('signature') ?? undefined };
}

describe('invoice print links', () => {
  it('points at the invoice on the public URL, expiring 10 minutes from now', () => {
    const { url, expires, signature } = linksAt();
    expect(PRINT_LINK_SECONDS).toBe(600);
    expect(url.origin).toBe('http://127.0.0.1:4000');
    expect(url.pathname).toBe(`/invoices/${INVOICE_ID}/print`);
    expect(expires).toBe(String(ISSUED_AT_MS / 1000 + 600));
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('verifies a fresh link, and still just before it expires', () => {
    const { clock, links, expires, signature } = linksAt();
    expect(links.verify(INVOICE_ID, expires, signature)).toBe(true);
    clock.now = ISSUED_AT_MS + 599_000;
    expect(links.verify(INVOICE_ID, expires, signature)).toBe(true);
  });

  it('refuses the link once 600 s have passed', () => {
    const { clock, links, expires, signature } = linksAt();
    clock.now = ISSUED_AT_MS + 600_001;
    expect(links.verify(INVOICE_ID, expires, signature)).toBe(false);
    clock.now = ISSUED_AT_MS + 3_600_000;
    expect(links.verify(INVOICE_ID, expires, signature)).toBe(false);
  });

  it('refuses a tampered signature, expiry or invoice id', () => {
    const { links, expires, signature } = linksAt();
    const flipped = `${signature!.slice(0, -1)}${signature!.endsWith('A') ? 'B' : 'A'}`;
    expect(links.verify(INVOICE_ID, expires, flipped)).toBe(false);
    expect(links.verify(INVOICE_ID, expires, signature!.slice(0, -1))).toBe(false);
    expect(links.verify(INVOICE_ID, expires, `${signature}A`)).toBe(false);
    expect(links.verify(INVOICE_ID, String(Number(expires) + 1), signature)).toBe(false);
    expect(links.verify(INVOICE_ID, String(Number(expires) + 86_400), signature)).toBe(false);
    expect(links.verify(OTHER_INVOICE_ID, expires, signature)).toBe(false);
  });

  it('refuses a link with a missing or unreadable expiry or signature', () => {
    const { links, expires, signature } = linksAt();
    expect(links.verify(INVOICE_ID, expires, undefined)).toBe(false);
    expect(links.verify(INVOICE_ID, expires, '')).toBe(false);
    expect(links.verify(INVOICE_ID, undefined, signature)).toBe(false);
    expect(links.verify(INVOICE_ID, 'soon', signature)).toBe(false);
    expect(links.verify(INVOICE_ID, `${expires}.5`, signature)).toBe(false);
  });

  it('refuses a link signed with another secret', () => {
    const ours = linksAt();
    const theirs = linksAt(ISSUED_AT_MS, 'another-secret-of-enough-length-11111');
    expect(theirs.expires).toBe(ours.expires);
    expect(theirs.signature).not.toBe(ours.signature);
    expect(ours.links.verify(INVOICE_ID, theirs.expires, theirs.signature)).toBe(false);
  });
});
