import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_TOKEN_HEADER } from '@greencart/platform';
import { INVOICE, INVOICES, TEST_CARDS, paymentTools, usd, type Customer, type InvoiceConnectionView, type InvoiceView, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Invoices as the contract's "Invoices" section promises, through the gateway: issued once per
// paid order with sequential numbers, frozen lines and billedTo, visible to their customer and to
// admins, and printable through a short-lived signed link.

let supergraph: TestSupergraph;
let tools: PaymentTools;
/** Every invoice this file has issued, so that "all of them" can be checked exactly. */
const issued = new Set<string>();

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await paymentTools(supergraph);
});
afterAll(() => supergraph?.stop());

/** An order of `quantity` × a new product at `price`, paid with a new Visa card; answers its invoice id. */
async function paidInvoice(customer: Customer, price: string, quantity = 1): Promise<string> {
  const { invoiceId } = await tools.paidOrder(customer, { price, quantity });
  issued.add(invoiceId);
  return invoiceId;
}

async function invoiceOf(token: string, id: string): Promise<InvoiceView | null> {
  return (await supergraph.data<{ invoice: InvoiceView | null }>(INVOICE, { id }, { token })).invoice;
}

async function invoicesOf(token: string, args: { first?: number; after?: string } = {}): Promise<InvoiceConnectionView> {
  return (await supergraph.data<{ invoices: InvoiceConnectionView }>(INVOICES, args, { token })).invoices;
}

async function printUrlOf(token: string, id: string): Promise<string> {
  const data = await supergraph.data(`query($id: ID!) { invoice(id: $id) { printUrl } }`, { id }, { token });
  return data.invoice.printUrl;
}

const sequence = (number: string) => Number(/^INV-(\d{6})$/.exec(number)?.[1] ?? Number.NaN);

describe('invoice numbers', () => {
  it('are unique and increase in the order invoices are issued, also when 8 customers pay at once', async () => {
    // A few one after another…
    const first = await supergraph.registerCustomer();
    for (const price of ['1.00', '2.00', '3.00']) await paidInvoice(first, price);
    // …then 8 customers paying concurrently.
    const payers = await Promise.all(
      Array.from({ length: 8 }, async (_, index) => {
        const customer = await supergraph.registerCustomer();
        const product = await tools.createProduct({ price: `${index + 1}.50` });
        const order = await tools.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
        const card = await tools.addCard(customer.token, TEST_CARDS.visa);
        return { customer, order, card };
      }),
    );
    const payments = await Promise.all(payers.map(({ customer, order, card }) => tools.payOrder(customer.token, order.id, card)));
    expect(payments.map((payment) => payment.userErrors)).toEqual(payers.map(() => []));
    for (const { customer, order } of payers) {
      const invoice = (await tools.order(customer.token, order.id))?.invoice;
      expect(invoice).not.toBeNull();
      issued.add(invoice!.id);
    }

    const all = await invoicesOf(tools.adminToken, { first: 100 });
    expect(all.totalCount).toBe(issued.size);
    const listed = all.edges.map((edge) => edge.node);
    expect(new Set(listed.map((invoice) => invoice.id))).toEqual(issued);
    for (const invoice of listed) expect(invoice.number).toMatch(/^INV-\d{6}$/);
    expect(new Set(listed.map((invoice) => invoice.number)).size).toBe(listed.length);

    // Sorted by when they were issued, the numbers ascend.
    const byIssue = [...listed].sort((a, b) => Date.parse(a.issuedAt) - Date.parse(b.issuedAt) || sequence(a.number) - sequence(b.number));
    const numbers = byIssue.map((invoice) => sequence(invoice.number));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    // And the list, newest first, has them in strictly descending number order.
    const listedNumbers = listed.map((invoice) => sequence(invoice.number));
    expect(listedNumbers).toEqual([...listedNumbers].sort((a, b) => b - a));
  });

  it('issues no invoice for a declined payment', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ price: '4.00' });
    const order = await tools.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    const before = (await invoicesOf(tools.adminToken, { first: 0 })).totalCount;

    for (const number of [TEST_CARDS.declined, TEST_CARDS.insufficientFunds]) {
      const card = await tools.addCard(customer.token, number);
      expect((await tools.payOrder(customer.token, order.id, card)).userErrors.map((error) => error.code)).toEqual(['PAYMENT_DECLINED']);
    }

    expect((await tools.order(customer.token, order.id))?.invoice).toBeNull();
    expect((await invoicesOf(customer.token)).totalCount).toBe(0);
    expect((await invoicesOf(tools.adminToken, { first: 0 })).totalCount).toBe(before);
  });
});

describe('what an invoice keeps', () => {
  it('keeps its lines, billedTo and totals as they were when issued, after the product is renamed and repriced and the customer renamed', async () => {
    const customer = await supergraph.registerCustomer({ name: 'Ann Original' });
    const widget = await tools.createProduct({ price: '4.25', name: 'Frozen Widget' });
    const gadget = await tools.createProduct({ price: '10.00', name: 'Frozen Gadget' });
    const order = await tools.placeOrder(customer.token, [
      { productId: widget.id, quantity: 3 },
      { productId: gadget.id, quantity: 1 },
    ]);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);
    const invoiceId = (await tools.order(customer.token, order.id))!.invoice!.id;
    issued.add(invoiceId);

    const before = await invoiceOf(customer.token, invoiceId);
    expect(before).toEqual({
      id: invoiceId,
      number: expect.stringMatching(/^INV-\d{6}$/),
      issuedAt: expect.any(String),
      order: { id: order.id, number: order.number, status: 'PAID' },
      billedTo: { name: 'Ann Original', email: customer.email },
      lines: [
        { description: 'Frozen Widget', sku: widget.sku, quantity: 3, unitPrice: usd('4.25'), lineTotal: usd('12.75') },
        { description: 'Frozen Gadget', sku: gadget.sku, quantity: 1, unitPrice: usd('10.00'), lineTotal: usd('10.00') },
      ],
      subtotal: usd('22.75'),
      total: usd('22.75'),
      // Signed anew on each read, with its own expiry: the one thing of an invoice that changes.
      printUrl: expect.stringContaining(`/invoices/${invoiceId}/print?`),
    });

    const renamed = await supergraph.data(
      `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { product { name price { amount } } userErrors { code } } }`,
      { id: widget.id, input: { name: 'Thawed Widget', price: '99.99' } },
      { token: tools.adminToken },
    );
    expect(renamed.updateProduct).toEqual({ product: { name: 'Thawed Widget', price: { amount: '99.99' } }, userErrors: [] });
    const profile = await supergraph.data(
      `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { customer { name } userErrors { code } } }`,
      { input: { name: 'Ann Renamed' } },
      { token: customer.token },
    );
    expect(profile.updateProfile).toEqual({ customer: { name: 'Ann Renamed' }, userErrors: [] });

    const withoutLink = (invoice: InvoiceView | null) => ({ ...invoice, printUrl: undefined });
    expect(withoutLink(await invoiceOf(customer.token, invoiceId))).toEqual(withoutLink(before));
    expect(withoutLink(await invoiceOf(tools.adminToken, invoiceId))).toEqual(withoutLink(before));
  });
});

describe('who sees which invoice', () => {
  it('shows an invoice to its customer and to admins; for another customer it does not exist', async () => {
    const owner = await supergraph.registerCustomer();
    const stranger = await supergraph.registerCustomer();
    const invoiceId = await paidInvoice(owner, '5.55');

    const own = await invoiceOf(owner.token, invoiceId);
    expect(own?.id).toBe(invoiceId);
    // The print link is signed afresh at each read (its expiry moves with the clock): the same page, the rest equal.
    const { printUrl: adminLink, ...asAdmin } = (await invoiceOf(tools.adminToken, invoiceId))!;
    const { printUrl: ownLink, ...asOwner } = own!;
    expect(asAdmin).toEqual(asOwner);
    expect(new URL(adminLink).pathname).toBe(new URL(ownLink).pathname);
    expect(await invoiceOf(stranger.token, invoiceId)).toBeNull();
    expect(await invoiceOf(owner.token, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await invoiceOf(owner.token, 'not-an-invoice')).toBeNull();
  });

  it('lists a customer their own invoices only and an admin every invoice, newest first', async () => {
    const alice = await supergraph.registerCustomer();
    const bob = await supergraph.registerCustomer();
    const alices = [await paidInvoice(alice, '1.11'), await paidInvoice(alice, '2.22')];
    const bobs = [await paidInvoice(bob, '3.33')];

    const forAlice = await invoicesOf(alice.token);
    expect(forAlice.totalCount).toBe(2);
    expect(forAlice.edges.map((edge) => edge.node.id)).toEqual([...alices].reverse());
    const forBob = await invoicesOf(bob.token);
    expect(forBob.totalCount).toBe(1);
    expect(forBob.edges.map((edge) => edge.node.id)).toEqual(bobs);

    const forAdmin = await invoicesOf(tools.adminToken, { first: 100 });
    expect(forAdmin.totalCount).toBe(issued.size);
    expect(new Set(forAdmin.edges.map((edge) => edge.node.id))).toEqual(issued);
    // Newest first: the last three issued lead the list.
    expect(forAdmin.edges.slice(0, 3).map((edge) => edge.node.id)).toEqual([bobs[0], alices[1], alices[0]]);
    const times = forAdmin.edges.map((edge) => Date.parse(edge.node.issuedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('pages with first and after, counting every invoice in totalCount', async () => {
    const customer = await supergraph.registerCustomer();
    const ids = [await paidInvoice(customer, '1.00'), await paidInvoice(customer, '2.00'), await paidInvoice(customer, '3.00')];
    const newestFirst = [...ids].reverse();

    const firstPage = await invoicesOf(customer.token, { first: 2 });
    expect(firstPage.totalCount).toBe(3);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    expect(firstPage.edges.map((edge) => edge.node.id)).toEqual(newestFirst.slice(0, 2));

    const secondPage = await invoicesOf(customer.token, { first: 2, after: firstPage.pageInfo.endCursor! });
    expect(secondPage.totalCount).toBe(3);
    expect(secondPage.pageInfo.hasNextPage).toBe(false);
    expect(secondPage.edges.map((edge) => edge.node.id)).toEqual(newestFirst.slice(2));

    const none = await invoicesOf(customer.token, { first: 0 });
    expect(none).toMatchObject({ totalCount: 3, edges: [] });
  });

  it.each([
    ['first: 101', { first: 101 }],
    ['first: -1', { first: -1 }],
    ['an unreadable cursor', { after: 'not-a-cursor' }],
  ])('refuses %s with BAD_USER_INPUT', async (_, args) => {
    const customer = await supergraph.registerCustomer();
    const response = await supergraph.request(INVOICES, args, { token: customer.token });
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('needs sign-in: anonymous invoices and invoice(id) are UNAUTHENTICATED', async () => {
    const owner = await supergraph.registerCustomer();
    const invoiceId = await paidInvoice(owner, '6.00');
    for (const [query, variables] of [
      [INVOICES, {}],
      [INVOICE, { id: invoiceId }],
    ] as const) {
      const response = await supergraph.request(query, variables);
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

describe('Order.invoice', () => {
  it('is null before payment and the issued invoice after', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ price: '19.99' });
    const order = await tools.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }]);
    expect((await tools.order(customer.token, order.id))?.invoice).toBeNull();

    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);

    const onOrder = (await tools.order(customer.token, order.id))?.invoice;
    expect(onOrder).toEqual({ id: expect.any(String), number: expect.stringMatching(/^INV-\d{6}$/), issuedAt: expect.any(String), total: usd('39.98') });
    issued.add(onOrder!.id);
    const invoice = await invoiceOf(customer.token, onOrder!.id);
    expect(invoice).toMatchObject({ id: onOrder!.id, number: onOrder!.number, issuedAt: onOrder!.issuedAt, order: { id: order.id, status: 'PAID' }, total: usd('39.98') });
    expect((await invoicesOf(customer.token)).edges.map((edge) => edge.node)).toEqual([
      { id: onOrder!.id, number: onOrder!.number, issuedAt: onOrder!.issuedAt, total: usd('39.98'), order: { id: order.id, number: order.number } },
    ]);
  });
});

/** Decodes the character references an HTML page may use for text. */
function htmlText(html: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return html.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (reference, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
    return named[body.toLowerCase()] ?? reference;
  });
}

describe('the printable invoice', () => {
  const customerName = 'Ann <b>&</b>';
  let customer: Customer;
  let invoice: InvoiceView;
  let printUrl: string;
  let otherInvoiceId: string;

  beforeAll(async () => {
    customer = await supergraph.registerCustomer({ name: customerName });
    const plain = await tools.createProduct({ price: '1234.50', name: 'Plain Lamp' });
    const tricky = await tools.createProduct({ price: '3.49', name: 'Vase <i>"blue"</i> & co' });
    const order = await tools.placeOrder(customer.token, [
      { productId: plain.id, quantity: 1 },
      { productId: tricky.id, quantity: 4 },
    ]);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);
    const invoiceId = (await tools.order(customer.token, order.id))!.invoice!.id;
    issued.add(invoiceId);
    invoice = (await invoiceOf(customer.token, invoiceId))!;
    printUrl = await printUrlOf(customer.token, invoiceId);
    otherInvoiceId = await paidInvoice(customer, '2.00');
  });

  it('is an absolute link on the gateway to this invoice', () => {
    const url = new URL(printUrl);
    expect(url.origin).toBe(new URL(supergraph.gatewayUrl).origin);
    expect(url.pathname).toBe(`/invoices/${invoice.id}/print`);
  });

  it('serves a self-contained HTML page with the number, each line, the total and the escaped name', async () => {
    const response = await fetch(printUrl);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await response.text();
    expect(page).toContain(invoice.number);
    expect(invoice.lines.map((line) => line.sku)).toHaveLength(2);
    for (const line of invoice.lines) expect(page).toContain(line.sku);
    expect(invoice.total).toEqual(usd('1248.46'));
    expect(page).toContain('$1248.46');
    expect(page).toContain('$1234.50');
    expect(page).toContain('$13.96');

    // Names reach the page as text, never as markup.
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('<i>');
    const text = htmlText(page);
    expect(text).toContain(customerName);
    expect(text).toContain('Vase <i>"blue"</i> & co');
    expect(text).toContain(customer.email);
    // Nothing loaded from elsewhere, and no script.
    expect(page.toLowerCase()).not.toContain('http');
    expect(page.toLowerCase()).not.toContain('<script');
  });

  it('refuses a tampered signature or expiry with 403', async () => {
    const url = new URL(printUrl);
    const signature = url.searchParams.get('signature')!;
    const expires = url.searchParams.get('expires')!;
    const variants: Array<[string, (link: URL) => void]> = [
      ['signature changed', (link) => link.searchParams.set('signature', `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`)],
      ['signature missing', (link) => link.searchParams.delete('signature')],
      ['expiry pushed back', (link) => link.searchParams.set('expires', String(Number(expires) + 3600))],
      ['expiry missing', (link) => link.searchParams.delete('expires')],
    ];
    for (const [name, tamper] of variants) {
      const link = new URL(printUrl);
      tamper(link);
      const response = await fetch(link);
      expect(response.status, name).toBe(403);
      expect(await response.text(), name).not.toContain(invoice.number);
    }
  });

  it("refuses this link's signature on another invoice's id with 403", async () => {
    const link = new URL(printUrl.replace(invoice.id, otherInvoiceId));
    expect(link.pathname).toBe(`/invoices/${otherInvoiceId}/print`);
    expect((await fetch(link)).status).toBe(403);
    // The other invoice's own link works.
    expect((await fetch(await printUrlOf(customer.token, otherInvoiceId))).status).toBe(200);
  });

  it('is served by the orders subgraph only to GreenCart services: a direct request without service credentials gets 401', async () => {
    const { pathname, search } = new URL(printUrl);
    const direct = `${supergraph.subgraphUrls.orders}${pathname}${search}`;

    const anonymous = await fetch(direct);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(invoice.number);

    const token = await supergraph.serviceToken('gateway', 'orders');
    const asGateway = await fetch(direct, { headers: { [SERVICE_TOKEN_HEADER]: token } });
    expect(asGateway.status).toBe(200);
  });
});
