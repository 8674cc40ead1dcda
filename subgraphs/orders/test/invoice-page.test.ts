import { describe, expect, it } from 'vitest';
import type { InvoiceLineRow, InvoiceRow, OrderRow } from '../src/db/schema.js';
import { renderInvoicePage } from '../src/services/invoice-page.js';

const ISSUED_AT = new Date('2025-06-01T12:34:56.789Z');

function invoiceRow(fields: Partial<InvoiceRow> = {}): InvoiceRow {
  return {
    id: '3f1c2b7e-8d4a-4c1e-9b6f-2a7d5e8c0f11',
    orderId: '9a0e4d2c-1b3f-4e5a-8c7d-6f2b1a0e9d33',
    customerId: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    number: 'INV-000042',
    billedToName: 'Ann Example',
    billedToEmail: 'ann@example.com',
    subtotalCents: 1_398,
    totalCents: 1_398,
    issuedAt: ISSUED_AT,
    ...fields,
  };
}

function orderRow(fields: Partial<OrderRow> = {}): OrderRow {
  return {
    id: '9a0e4d2c-1b3f-4e5a-8c7d-6f2b1a0e9d33',
    number: 'GC-100042',
    customerId: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    status: 'PAID',
    idempotencyKey: 'key-1',
    requestFingerprint: 'fingerprint',
    stockReservationId: '7b6a5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
    stockReleasedAt: null,
    subtotalCents: 1_398,
    totalCents: 1_398,
    shippingLine1: null,
    shippingLine2: null,
    shippingCity: null,
    shippingPostalCode: null,
    shippingCountry: null,
    createdAt: ISSUED_AT,
    updatedAt: ISSUED_AT,
    ...fields,
  };
}

function lineRow(position: number, fields: Partial<InvoiceLineRow> = {}): InvoiceLineRow {
  return {
    id: `00000000-0000-4000-8000-00000000000${position}`,
    invoiceId: '3f1c2b7e-8d4a-4c1e-9b6f-2a7d5e8c0f11',
    position,
    description: 'Bamboo Toothbrush',
    sku: 'BAM-001',
    quantity: 2,
    unitPriceCents: 699,
    lineTotalCents: 1_398,
    ...fields,
  };
}

describe('the printable invoice page', () => {
  it('shows the number, order, date, who it is billed to, each line and the totals', () => {
    const page = renderInvoicePage(invoiceRow(), orderRow(), [lineRow(0)]);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<title>Invoice INV-000042 · GreenCart</title>');
    expect(page).toContain('<h1>Invoice INV-000042</h1>');
    expect(page).toContain('Issued 2025-06-01');
    expect(page).toContain('Order GC-100042');
    expect(page).toContain('Ann Example<br>ann@example.com');
    expect(page).toContain('<tr><td>Bamboo Toothbrush</td><td>BAM-001</td><td class="number">2</td><td class="number">$6.99</td><td class="number">$13.98</td></tr>');
    expect(page).toContain('<td colspan="4" class="number">Subtotal</td><td class="number">$13.98</td>');
    expect(page).toContain('<td colspan="4" class="number">Total (USD)</td><td class="number">$13.98</td>');
  });

  it('prints amounts exactly to the cent, without binary rounding', () => {
    const lines = [
      lineRow(0, { quantity: 1, unitPriceCents: 5, lineTotalCents: 5 }),
      lineRow(1, { quantity: 3, unitPriceCents: 10, lineTotalCents: 30 }),
      lineRow(2, { quantity: 1, unitPriceCents: 123_456_789, lineTotalCents: 123_456_789 }),
    ];
    const page = renderInvoicePage(invoiceRow({ subtotalCents: 123_456_824, totalCents: 123_456_824 }), orderRow(), lines);
    expect(page).toContain('<td class="number">$0.05</td><td class="number">$0.05</td>');
    expect(page).toContain('<td class="number">$0.10</td><td class="number">$0.30</td>');
    expect(page).toContain('<td class="number">$1234567.89</td><td class="number">$1234567.89</td>');
    expect(page).toContain('Total (USD)</td><td class="number">$1234568.24</td>');
  });

  it('lists the lines in the order given', () => {
    const page = renderInvoicePage(invoiceRow(), orderRow(), [lineRow(0, { sku: 'FIRST-1' }), lineRow(1, { sku: 'SECOND-2' })]);
    expect(page.indexOf('FIRST-1')).toBeGreaterThan(0);
    expect(page.indexOf('SECOND-2')).toBeGreaterThan(page.indexOf('FIRST-1'));
  });

  it('escapes names, emails, descriptions and skus, so that they are text and never markup', () => {
    const page = renderInvoicePage(invoiceRow({ billedToName: 'Ann <b>&</b>', billedToEmail: '"o\'neil"@example.com' }), orderRow(), [
      lineRow(0, { description: '<script>alert(1)</script> & "more"', sku: "SKU<'1'>" }),
    ]);
    expect(page).toContain('Ann &#60;b&#62;&#38;&#60;/b&#62;');
    expect(page).toContain('&#34;o&#39;neil&#34;@example.com');
    expect(page).toContain('<td>&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;more&#34;</td>');
    expect(page).toContain('<td>SKU&#60;&#39;1&#39;&#62;</td>');
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('<script');
  });

  it('loads nothing from elsewhere and runs no script', () => {
    const page = renderInvoicePage(invoiceRow(), orderRow(), [lineRow(0)]);
    expect(page.toLowerCase()).not.toContain('http');
    expect(page.toLowerCase()).not.toContain('<script');
    expect(page).not.toMatch(/<(link|img|iframe)\b/i);
  });
});
