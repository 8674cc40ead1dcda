import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createSubgraphClient, demoShoppers, loadServiceCredentials } from '@greencart/platform';
import { prepareOrdersDatabase, seedDemoOrders } from '@greencart/orders';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The demo seed's order history (what `npm start` seeds): a few hundred orders of the demo shoppers,
// paid and invoiced as real ones are, from which "bought together" shows something at once.

let supergraph: TestSupergraph;
let ordersSql: postgres.Sql;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedDemoHistory: true });
  ordersSql = postgres(supergraph.databaseUrls.orders, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await ordersSql?.end();
  await supergraph?.stop();
});

const BOUGHT_WITH_SKU = /* GraphQL */ `
  query ($sku: String!) {
    productBySku(sku: $sku) {
      name
      boughtTogether(first: 5) {
        name
      }
    }
  }
`;

/** Orders' own service key, from the folder where the supergraph's services keep theirs. */
const ordersCredentials = async () => (await loadServiceCredentials({ service: 'orders', callerPublicKeys: {}, dataDir: supergraph.serviceKeysDir })).credentials;

async function boughtWith(sku: string): Promise<string[]> {
  const data = await supergraph.data<{ productBySku: { boughtTogether: Array<{ name: string }> } }>(BOUGHT_WITH_SKU, { sku });
  return data.productBySku.boughtTogether.map((product) => product.name);
}

describe('the demo order history', () => {
  it('shows what goes together in the demo shop: sourdough with breakfast, spaghetti with a pasta night', async () => {
    const breakfast = ['Cultured Butter, 250 g', 'Free-range Eggs, 12', 'Single-origin Coffee Beans, 250 g', 'Whole Milk, 1 l', 'Wildflower Honey, 340 g', 'Butter Croissants, 4 pack'];
    const withSourdough = await boughtWith('BAK-SOURDOUGH');
    expect(withSourdough).toHaveLength(5);
    expect(
      withSourdough.slice(0, 3).every((name) => breakfast.includes(name)),
      withSourdough.join(', '),
    ).toBe(true);

    const pastaNight = ['Passata, 680 g', 'Garlic Bulbs, 3 pack', 'Extra Virgin Olive Oil, 500 ml', 'Vine Tomatoes, 500 g', 'Rosemary Focaccia', 'Buffalo Mozzarella, 125 g'];
    const withSpaghetti = await boughtWith('PAN-PASTA-500');
    expect(
      withSpaghetti.slice(0, 3).every((name) => pastaNight.includes(name)),
      withSpaghetti.join(', '),
    ).toBe(true);
  });

  it('is a few hundred orders of the demo shoppers, the paid ones each with one charge and one invoice of its total, numbered in time order', async () => {
    const admin = await supergraph.adminToken();
    const { orders, invoices } = await supergraph.data('{ orders(first: 0) { totalCount } invoices(first: 0) { totalCount } }', {}, { token: admin });
    expect(orders.totalCount).toBe(300);

    const rows = await ordersSql<Array<{ status: string; customer_id: string; total_cents: string; charged: string | null; invoiced: string | null; items: string }>>`
      select o.status, o.customer_id, o.total_cents,
        (select sum(amount_cents) from transactions t where t.order_id = o.id and t.kind = 'CHARGE' and t.status = 'SUCCEEDED') as charged,
        (select sum(total_cents) from invoices i where i.order_id = o.id) as invoiced,
        (select count(*) from order_items i where i.order_id = o.id) as items
      from orders o`;
    const shopperIds = new Set(demoShoppers.map((shopper) => shopper.id));
    expect(rows.every((row) => shopperIds.has(row.customer_id))).toBe(true);
    expect(rows.every((row) => Number(row.items) >= 2)).toBe(true);
    const cancelled = rows.filter((row) => row.status === 'CANCELLED');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((row) => row.charged === null && row.invoiced === null)).toBe(true);
    const paid = rows.filter((row) => row.status !== 'CANCELLED');
    expect(new Set(paid.map((row) => row.status))).toEqual(new Set(['PAID', 'SHIPPED', 'DELIVERED']));
    expect(paid.every((row) => row.charged === row.total_cents && row.invoiced === row.total_cents)).toBe(true);
    expect(invoices.totalCount).toBe(paid.length);

    // An invoice issued later has the higher number, and an order placed later the higher number.
    const invoiceOrder = await ordersSql<Array<{ number: string }>>`select number from invoices order by issued_at`;
    expect(invoiceOrder.map((row) => row.number)).toEqual(invoiceOrder.map((_, index) => `INV-${String(index + 1).padStart(6, '0')}`));
    const orderNumbers = await ordersSql<Array<{ number: string }>>`select number from orders order by created_at`;
    expect(orderNumbers.map((row) => Number(row.number.slice(3)))).toEqual(orderNumbers.map((_, index) => 100_001 + index));
  });

  it('leaves a cancelled demo order out of the counts', async () => {
    const [pair] = await ordersSql<Array<{ product_id: string; other_product_id: string; orders_count: number; holding: string }>>`
      select p.product_id, p.other_product_id, p.orders_count,
        (select count(distinct a.order_id) from order_items a join order_items b on b.order_id = a.order_id and b.product_id = p.other_product_id
         join orders o on o.id = a.order_id where a.product_id = p.product_id and o.status <> 'CANCELLED') as holding
      from product_pairs p
      where exists (select 1 from order_items a join order_items b on b.order_id = a.order_id and b.product_id = p.other_product_id
                    join orders o on o.id = a.order_id and o.status = 'CANCELLED' where a.product_id = p.product_id)
      limit 1`;
    expect(pair).toBeDefined();
    expect(pair!.orders_count).toBe(Number(pair!.holding));
  });

  it('seeds an empty database once, however many orders processes start on it at once, and never one that has orders', async () => {
    const name = `test_${randomBytes(5).toString('hex')}_demo_orders`;
    const serverUrl = supergraph.databaseUrls.orders.replace(/\/[^/]+$/, '/postgres');
    const database = await prepareOrdersDatabase({ serverUrl, name });
    const products = createSubgraphClient({
      name: 'products',
      url: supergraph.subgraphUrls.products,
      credentials: await ordersCredentials(),
      timeoutMs: 15_000,
    });
    const logger = createLogger('orders', 'silent');
    try {
      await Promise.all([seedDemoOrders(database.db, products, logger), seedDemoOrders(database.db, products, logger)]);
      const count = async () => Number((await database.sql`select count(*) from orders`)[0]!.count);
      expect(await count()).toBe(300);
      await seedDemoOrders(database.db, products, logger);
      expect(await count()).toBe(300);
    } finally {
      await database.close();
    }

    // The supergraph's own orders database already has orders: seeding it again adds none.
    const seeded = await prepareOrdersDatabase({ serverUrl, name: supergraph.databaseUrls.orders.split('/').pop()! });
    await seedDemoOrders(seeded.db, products, logger).finally(() => seeded.close());
    expect(Number((await ordersSql`select count(*) from orders`)[0]!.count)).toBe(300);
  });

  it('waits for products no longer than it is told, then leaves the history for the next start', async () => {
    const name = `test_${randomBytes(5).toString('hex')}_demo_orders`;
    const serverUrl = supergraph.databaseUrls.orders.replace(/\/[^/]+$/, '/postgres');
    const database = await prepareOrdersDatabase({ serverUrl, name });
    const lines: string[] = [];
    const unreachable = createSubgraphClient({
      name: 'products',
      url: 'http://127.0.0.1:9',
      credentials: await ordersCredentials(),
      timeoutMs: 1_000,
    });
    try {
      await seedDemoOrders(
        database.db,
        unreachable,
        createLogger('orders', 'info', 'json', (line) => lines.push(line)),
        { waitForProductsMs: 0 },
      );
      expect(Number((await database.sql`select count(*) from orders`)[0]!.count)).toBe(0);
      expect(lines.join('\n')).toContain('the demo order history is left for the next start');
    } finally {
      await database.close();
    }
  });
});
