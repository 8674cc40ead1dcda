import { formatCents } from '@greencart/platform';
import type { InvoiceLineRow, InvoiceRow, OrderRow } from '../db/schema.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
const usd = (cents: number) => `$${formatCents(cents)}`;

/** The printable invoice: one self-contained HTML page (no scripts, nothing loaded from elsewhere). */
export function renderInvoicePage(invoice: InvoiceRow, order: OrderRow, lines: InvoiceLineRow[]): string {
  const rows = lines
    .map(
      (line) =>
        `<tr><td>${escape(line.description)}</td><td>${escape(line.sku)}</td><td class="number">${line.quantity}</td><td class="number">${usd(line.unitPriceCents)}</td><td class="number">${usd(line.lineTotalCents)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Invoice ${escape(invoice.number)} · GreenCart</title>
<style>
  body { font: 14px/1.5 system-ui, sans-serif; color: #1d2a1d; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin: 0; } .brand { color: #2e7d32; font-weight: 700; }
  header, .parties { display: flex; justify-content: space-between; gap: 2rem; margin-bottom: 1.5rem; }
  table { width: 100%; border-collapse: collapse; } th, td { padding: .4rem .5rem; border-bottom: 1px solid #d9e3d9; text-align: left; }
  .number { text-align: right; font-variant-numeric: tabular-nums; } tfoot td { border: 0; font-weight: 600; }
  @media print { body { margin: 0; } }
</style>
</head>
<body>
<header><div><div class="brand">GreenCart</div><h1>Invoice ${escape(invoice.number)}</h1></div>
<div>Issued ${escape(invoice.issuedAt.toISOString().slice(0, 10))}<br>Order ${escape(order.number ?? '')}</div></header>
<section class="parties"><div><strong>Billed to</strong><br>${escape(invoice.billedToName)}<br>${escape(invoice.billedToEmail)}</div></section>
<table>
<thead><tr><th>Description</th><th>SKU</th><th class="number">Qty</th><th class="number">Unit price</th><th class="number">Total</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot>
<tr><td colspan="4" class="number">Subtotal</td><td class="number">${usd(invoice.subtotalCents)}</td></tr>
<tr><td colspan="4" class="number">Total (USD)</td><td class="number">${usd(invoice.totalCents)}</td></tr>
</tfoot>
</table>
</body>
</html>
`;
}
