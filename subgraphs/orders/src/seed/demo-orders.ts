import { askUntilAnswered, demoShoppers, seededRandom, type Logger, type SubgraphClient } from '@greencart/platform';
import { sql } from 'drizzle-orm';
import { findCatalogueProductsBySku, type CatalogueProduct } from '../clients/products-client.js';
import type { OrdersDb } from '../db/database.js';
import { invoiceLineOf } from '../db/invoice-repository.js';
import { ProductPairRepository } from '../db/product-pair-repository.js';
import { invoiceLines, invoices, orderItems, orders, transactions, type OrderStatus } from '../db/schema.js';

/**
 * What people buy together in the demo shop (skus of the demo catalogue), most likely first: each
 * demo order draws from one or two of these, so that "bought together" has something to show.
 */
export const demoBaskets: Record<string, string[]> = {
  breakfast: ['BAK-SOURDOUGH', 'DRY-BUTTER-250', 'DRY-EGGS-12', 'PAN-COFFEE-250', 'DRY-MILK-1L', 'PAN-HONEY-340', 'BAK-CROISSANT-4'],
  pastaNight: ['PAN-PASTA-500', 'PAN-TOMSAUCE-680', 'PRD-GARLIC-3', 'PAN-OLIVEOIL-500', 'PRD-TOMATO-500', 'BAK-FOCACCIA', 'DRY-MOZZ-125'],
  smoothies: ['PRD-BANANA-6', 'PRD-BERRY-300', 'DRY-YOGURT-500', 'DRY-OAT-1L', 'PRD-SPINACH-250', 'PAN-OATS-1KG'],
  mezze: ['DRY-FETA-200', 'BAK-PITA-6', 'PAN-CHICKPEA-400', 'PRD-LEMON-4', 'PRD-TOMATO-500', 'PAN-OLIVEOIL-500', 'PRD-AVOCADO-2'],
  weeklyStaples: ['PRD-APPLE-1KG', 'PRD-POTATO-2KG', 'PRD-CARROT-1KG', 'DRY-MILK-1L', 'PAN-RICE-1KG', 'PAN-LENTIL-500', 'BAK-BAGUETTE'],
  cleaning: ['HSE-DISH-500', 'HSE-SPONGE-3', 'HSE-SPRAY-500', 'HSE-LAUNDRY-1L', 'HSE-BRUSH', 'HSE-BAGS-30'],
  bathroom: ['PER-TOOTHPASTE', 'PER-TOOTHBRUSH', 'PER-SOAP-BAR', 'PER-SHAMPOO-BAR', 'PER-FLOSS', 'HSE-TOILET-9', 'PER-DEODORANT'],
  plasticFree: ['HSE-CLOTH-2', 'HSE-BOTTLE-750', 'PER-COTTON-PADS', 'PER-RAZOR', 'HSE-CANDLE', 'PER-LIPBALM'],
};

const DEMO_ORDER_COUNT = 300;
const HISTORY_DAYS = 120;
const DAY_MS = 86_400_000;
/** Any fixed number: one process seeds while replicas starting at the same time wait, then find it done. */
const DEMO_ORDERS_LOCK = 7_251_017;

/** A demo order before it is written: who, when, what state, which lines. */
export interface DemoOrderPlan {
  customerId: string;
  placedAt: Date;
  /** When it was paid; none for a cancelled order. */
  paidAt?: Date;
  status: Exclude<OrderStatus, 'PLACING' | 'PENDING_PAYMENT'>;
  lines: Array<{ product: CatalogueProduct; quantity: number }>;
}

/**
 * Plans the demo history from a fixed random seed, so every fresh start shows the same shop: orders
 * spread over the last 120 days, older ones delivered, recent ones shipped or paid, one in 25 cancelled.
 */
export function planDemoOrders(catalogue: readonly CatalogueProduct[], now: Date, count = DEMO_ORDER_COUNT): DemoOrderPlan[] {
  const random = seededRandom(20261202);
  const bySku = new Map(catalogue.map((product) => [product.sku, product]));
  const baskets = Object.values(demoBaskets)
    .map((skus) => skus.map((sku) => bySku.get(sku)).filter((product): product is CatalogueProduct => product !== undefined))
    .filter((products) => products.length >= 2);
  if (baskets.length === 0) return [];
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

  return Array.from({ length: count }, (_, index) => {
    const chosen = new Map<string, { product: CatalogueProduct; quantity: number }>();
    const basketCount = random() < 0.3 ? 2 : 1;
    for (let taken = 0; taken < basketCount; taken += 1) {
      const basket = pick(baskets);
      // The basket's first products are its staples; the later ones come along less often.
      for (const [position, product] of basket.entries()) {
        if (random() < Math.max(0.2, 0.8 - 0.1 * position)) chosen.set(product.id, { product, quantity: random() < 0.2 ? 2 : 1 });
      }
      if (chosen.size < 2) for (const product of basket.slice(0, 2)) chosen.set(product.id, { product, quantity: 1 });
    }
    if (random() < 0.25) {
      const impulse = pick(catalogue);
      if (!chosen.has(impulse.id)) chosen.set(impulse.id, { product: impulse, quantity: 1 });
    }
    const placedAt = new Date(now.getTime() - HISTORY_DAYS * DAY_MS + ((index + random()) * HISTORY_DAYS * DAY_MS) / count);
    const ageDays = (now.getTime() - placedAt.getTime()) / DAY_MS;
    const status = random() < 0.04 ? 'CANCELLED' : ageDays > 10 ? 'DELIVERED' : ageDays > 3 ? 'SHIPPED' : 'PAID';
    // Paid five minutes after it was placed, but never later than now.
    const paidAt = status === 'CANCELLED' ? undefined : new Date(Math.min(placedAt.getTime() + 5 * 60_000, now.getTime()));
    return { customerId: pick(demoShoppers).id, placedAt, paidAt, status, lines: [...chosen.values()] };
  });
}

/**
 * Gives a fresh orders database the demo shoppers' order history: a few hundred orders with their
 * charges, invoices and "bought together" counts, as if placed over the last months. Only an empty
 * database is seeded (numbers and invoice order would otherwise not follow time), so a restart
 * changes nothing; the demo catalogue's prices and ids come from products, which may still be starting.
 */
export async function seedDemoOrders(db: OrdersDb, products: SubgraphClient, logger: Logger, options: { waitForProductsMs?: number } = {}): Promise<void> {
  if (await hasOrders(db)) return;
  const skus = [...new Set(Object.values(demoBaskets).flat())];
  const catalogue = await askUntilAnswered(() => findCatalogueProductsBySku(products, skus), options.waitForProductsMs ?? 30_000);
  if (!catalogue) {
    logger.warn('products did not answer: the demo order history is left for the next start');
    return;
  }
  const plans = planDemoOrders(catalogue, new Date());
  if (plans.length === 0) {
    logger.info('the demo catalogue is not in products: no demo order history');
    return;
  }
  const seeded = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${DEMO_ORDERS_LOCK})`);
    if (await hasOrders(tx)) return false;
    await writeDemoOrders(tx, plans);
    return true;
  });
  if (seeded) logger.info('seeded the demo order history', { orders: plans.length });
}

async function hasOrders(db: Pick<OrdersDb, 'execute'>): Promise<boolean> {
  const rows = await db.execute<{ found: boolean }>(sql`select exists (select 1 from orders) as found`);
  return rows[0]!.found;
}

type Transaction = Parameters<Parameters<OrdersDb['transaction']>[0]>[0];

/** Writes the planned orders in time order, so that order and invoice numbers follow it; five statements and the counts. */
async function writeDemoOrders(tx: Transaction, plans: readonly DemoOrderPlan[]): Promise<void> {
  const shoppers = new Map(demoShoppers.map((shopper) => [shopper.id, shopper]));
  const totals = plans.map((plan) => plan.lines.reduce((sum, line) => sum + line.product.priceCents * line.quantity, 0));
  const orderRows = await tx
    .insert(orders)
    .values(
      plans.map((plan, index) => ({
        number: sql`'GC-' || nextval('order_number_seq')`,
        customerId: plan.customerId,
        status: plan.status,
        idempotencyKey: `demo-order-${index + 1}`,
        requestFingerprint: 'demo',
        stockReservationId: sql`gen_random_uuid()`,
        // A demo order's stock was never taken from today's catalogue: there is nothing to give back.
        stockReleasedAt: plan.status === 'CANCELLED' ? plan.placedAt : null,
        subtotalCents: totals[index]!,
        totalCents: totals[index]!,
        createdAt: plan.placedAt,
        updatedAt: plan.placedAt,
      })),
    )
    .returning({ id: orders.id, idempotencyKey: orders.idempotencyKey });
  const orderIds = new Map(orderRows.map((row) => [row.idempotencyKey, row.id]));
  const orderIdOf = (index: number) => orderIds.get(`demo-order-${index + 1}`)!;

  const itemRows = plans.flatMap((plan, index) =>
    plan.lines.map((line, position) => ({
      orderId: orderIdOf(index),
      position,
      productId: line.product.id,
      sku: line.product.sku,
      name: line.product.name,
      quantity: line.quantity,
      unitPriceCents: line.product.priceCents,
      lineTotalCents: line.product.priceCents * line.quantity,
      createdAt: plan.placedAt,
    })),
  );
  await tx.insert(orderItems).values(itemRows);

  const paid = plans.flatMap((plan, index) => (plan.paidAt ? [{ plan, index, paidAt: plan.paidAt }] : []));
  if (paid.length === 0) return;
  await tx.insert(transactions).values(
    paid.map(({ index, paidAt }) => ({
      orderId: orderIdOf(index),
      kind: 'CHARGE' as const,
      status: 'SUCCEEDED' as const,
      amountCents: totals[index]!,
      processorReference: `demo_ch_${index + 1}`,
      createdAt: paidAt,
    })),
  );
  const invoiceRows = await tx
    .insert(invoices)
    .values(
      paid.map(({ plan, index, paidAt }) => ({
        orderId: orderIdOf(index),
        customerId: plan.customerId,
        number: sql`'INV-' || lpad(nextval('invoice_number_seq')::text, 6, '0')`,
        billedToName: shoppers.get(plan.customerId)!.name,
        billedToEmail: shoppers.get(plan.customerId)!.email,
        subtotalCents: totals[index]!,
        totalCents: totals[index]!,
        issuedAt: paidAt,
      })),
    )
    .returning({ id: invoices.id, orderId: invoices.orderId });
  const invoiceIds = new Map(invoiceRows.map((row) => [row.orderId, row.id]));
  await tx.insert(invoiceLines).values(itemRows.filter((item) => invoiceIds.has(item.orderId)).map((item) => invoiceLineOf(invoiceIds.get(item.orderId)!, item)));
  await new ProductPairRepository(tx).countAllOrders();
}
