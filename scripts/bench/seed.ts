// The benchmark's data set (issue #8): 10,000 products in 50 categories, 1,000 customers, 5,000
// orders of 20 lines (some products repeated within an order), about 5,000 reviews of products the
// paid orders hold, written straight into fresh databases with bulk inserts. Run alone:
// `DATABASE_URL=postgres://… tsx --conditions=@greencart/source scripts/bench/seed.ts`.
import { randomInt, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { databaseUrl, dropDatabase } from '@greencart/platform';
import { hashPassword, prepareAccountsDatabase } from '@greencart/accounts';
import { prepareOrdersDatabase, ProductPairRepository } from '@greencart/orders';
import { prepareProductsDatabase } from '@greencart/products';
import { prepareReviewsDatabase } from '@greencart/reviews';
import { BENCH_DATABASES } from './common.js';

export const DATA_SET = { categories: 50, products: 10_000, customers: 1_000, orders: 5_000, linesPerOrder: 20, repeatedLinesPerOrder: 3, initialStock: 100_000, reviewsPerPaidOrder: 3 } as const;
export const BENCH_PASSWORD = 'greencart-bench';
const FIRST_ORDER_NUMBER = 100_001;

export interface BenchData {
  categoryIds: string[];
  productIds: string[];
  customerIds: string[];
  /** Each seeded order with its customer, so that a request can sign in as the owner. */
  orders: { id: string; customerId: string }[];
  /** A few more orders of 1 and 100 lines (older than the others), to count Q1's statements by line count. */
  ordersByLineCount: Record<number, { id: string; customerId: string }[]>;
}

/** Line counts of the extra orders, five of each. */
export const EXTRA_LINE_COUNTS = [1, 100] as const;

const pick = <T>(values: readonly T[]): T => values[randomInt(values.length)]!;

/** Inserts rows in chunks that stay under PostgreSQL's 65,535 parameters per statement. */
async function insertAll(sql: postgres.Sql, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const chunk = Math.floor(60_000 / Object.keys(rows[0]!).length);
  for (let start = 0; start < rows.length; start += chunk) {
    await sql`insert into ${sql(table)} ${sql(rows.slice(start, start + chunk) as Record<string, postgres.ParameterOrJSON<never>>[])}`;
  }
}

/** Drops and recreates the bench databases (migrated by the subgraphs' own code), then fills them. */
export async function seedBenchmark(serverUrl: string, log: (message: string) => void = () => {}): Promise<BenchData> {
  const started = performance.now();
  await Promise.all(Object.values(BENCH_DATABASES).map((name) => dropDatabase(serverUrl, name)));
  const [accountsDatabase, ordersDatabase, productsDatabase, reviewsDatabase] = await Promise.all([
    prepareAccountsDatabase({ serverUrl, name: BENCH_DATABASES.accounts }),
    prepareOrdersDatabase({ serverUrl, name: BENCH_DATABASES.orders }),
    prepareProductsDatabase({ serverUrl, name: BENCH_DATABASES.products }),
    prepareReviewsDatabase({ serverUrl, name: BENCH_DATABASES.reviews }),
  ]);
  // Orders' stays open for its pair counts, which its own repository computes.
  await Promise.all([accountsDatabase.close(), productsDatabase.close(), reviewsDatabase.close()]);
  const connect = (name: string) => postgres(databaseUrl(serverUrl, name), { max: 1, onnotice: () => {} });
  const accounts = connect(BENCH_DATABASES.accounts);
  const orders = connect(BENCH_DATABASES.orders);
  const products = connect(BENCH_DATABASES.products);
  const reviews = connect(BENCH_DATABASES.reviews);
  try {
    // Catalogue.
    const categoryRows = Array.from({ length: DATA_SET.categories }, (_, i) => ({ id: randomUUID(), name: `Category ${String(i + 1).padStart(2, '0')}` }));
    const productRows = Array.from({ length: DATA_SET.products }, (_, i) => ({
      id: randomUUID(),
      sku: `BENCH-${String(i + 1).padStart(5, '0')}`,
      name: `Bench product ${String(i + 1).padStart(5, '0')}`,
      description: 'A product of the benchmark data set.',
      price_cents: 100 + randomInt(99_900),
      stock: DATA_SET.initialStock,
      category_id: categoryRows[i % DATA_SET.categories]!.id,
    }));
    await insertAll(products, 'categories', categoryRows);
    await insertAll(products, 'products', productRows);
    // Three hand-made recommendations per product (Q4's product page shows them): the next three.
    const recommendationRows = productRows.flatMap((product, i) => [1, 2, 3].map((step) => ({ product_id: product.id, recommended_product_id: productRows[(i + step) % productRows.length]!.id })));
    await insertAll(products, 'product_recommendations', recommendationRows);

    // Customers: one scrypt hash, shared, so that seeding takes seconds.
    const passwordHash = await hashPassword(BENCH_PASSWORD);
    const customerRows = Array.from({ length: DATA_SET.customers }, (_, i) => ({
      id: randomUUID(),
      email: `customer${i + 1}@bench.greencart.dev`,
      name: `Bench customer ${i + 1}`,
      role: 'CUSTOMER',
      password_hash: passwordHash,
    }));
    await insertAll(accounts, 'customers', customerRows);

    // Orders of 20 lines: 17 distinct products, 3 of them listed twice, prices frozen at the product's.
    const orderRows: Record<string, unknown>[] = [];
    const itemRows: Record<string, unknown>[] = [];
    // Reviews only of what a customer bought in a paid order, as writeReview allows; one per customer and product.
    const reviewRows = new Map<string, Record<string, unknown>>();
    const now = Date.now();
    for (let i = 0; i < DATA_SET.orders; i++) {
      const id = randomUUID();
      const customerId = pick(customerRows).id;
      const paid = i % 3 === 0;
      const distinct = new Set<(typeof productRows)[number]>();
      while (distinct.size < DATA_SET.linesPerOrder - DATA_SET.repeatedLinesPerOrder) distinct.add(pick(productRows));
      const lines = [...distinct];
      for (let r = 0; r < DATA_SET.repeatedLinesPerOrder; r++) lines.push(lines[r]!);
      const createdAt = new Date(now - (DATA_SET.orders - i) * 60_000);
      let subtotal = 0;
      lines.forEach((product, position) => {
        const quantity = 1 + randomInt(3);
        subtotal += product.price_cents * quantity;
        itemRows.push({
          id: randomUUID(),
          order_id: id,
          position,
          product_id: product.id,
          sku: product.sku,
          name: product.name,
          quantity,
          unit_price_cents: product.price_cents,
          line_total_cents: product.price_cents * quantity,
          created_at: createdAt,
        });
      });
      if (paid) {
        for (const product of lines.slice(0, DATA_SET.reviewsPerPaidOrder)) {
          // Mostly 4 and 5 stars, as in real shops, so that averages differ from product to product.
          const rating = [5, 5, 5, 4, 4, 3, 2, 1][randomInt(8)]!;
          const writtenAt = new Date(Math.min(createdAt.getTime() + 3_600_000, now));
          reviewRows.set(`${customerId}:${product.id}`, {
            id: randomUUID(),
            product_id: product.id,
            customer_id: customerId,
            rating,
            title: `${rating} stars`,
            body: 'A review of the benchmark data set.',
            created_at: writtenAt,
            updated_at: writtenAt,
          });
        }
      }
      orderRows.push({
        id,
        number: `GC-${FIRST_ORDER_NUMBER + i}`,
        customer_id: customerId,
        status: paid ? 'PAID' : 'PENDING_PAYMENT',
        idempotency_key: `bench-seed-${i}`,
        request_fingerprint: 'bench-seed',
        stock_reservation_id: randomUUID(),
        subtotal_cents: subtotal,
        total_cents: subtotal,
        created_at: createdAt,
        updated_at: createdAt,
      });
    }
    // The extra orders: five of 1 line and five of 100 distinct products, a year older than the rest.
    const ordersByLineCount: Record<number, { id: string; customerId: string }[]> = {};
    for (const lineCount of EXTRA_LINE_COUNTS) {
      ordersByLineCount[lineCount] = [];
      for (let k = 0; k < 5; k++) {
        const id = randomUUID();
        const customerId = pick(customerRows).id;
        const createdAt = new Date(now - 365 * 86_400_000 - k * 60_000);
        const lines = new Set<(typeof productRows)[number]>();
        while (lines.size < lineCount) lines.add(pick(productRows));
        let subtotal = 0;
        [...lines].forEach((product, position) => {
          subtotal += product.price_cents;
          itemRows.push({
            id: randomUUID(),
            order_id: id,
            position,
            product_id: product.id,
            sku: product.sku,
            name: product.name,
            quantity: 1,
            unit_price_cents: product.price_cents,
            line_total_cents: product.price_cents,
            created_at: createdAt,
          });
        });
        orderRows.push({
          id,
          number: `GC-${FIRST_ORDER_NUMBER + orderRows.length}`,
          customer_id: customerId,
          status: 'PAID',
          idempotency_key: `bench-seed-extra-${lineCount}-${k}`,
          request_fingerprint: 'bench-seed',
          stock_reservation_id: randomUUID(),
          subtotal_cents: subtotal,
          total_cents: subtotal,
          created_at: createdAt,
          updated_at: createdAt,
        });
        ordersByLineCount[lineCount]!.push({ id, customerId });
      }
    }
    await insertAll(orders, 'orders', orderRows);
    await insertAll(orders, 'order_items', itemRows);
    await insertAll(reviews, 'reviews', [...reviewRows.values()]);
    // "Bought together" counts of the seeded orders, as migration 0004 back-fills them.
    await new ProductPairRepository(ordersDatabase.db).countAllOrders();
    // Orders placed during the run continue after the seeded numbers.
    await orders`select setval('order_number_seq', ${FIRST_ORDER_NUMBER + orderRows.length - 1})`;
    await Promise.all([accounts`analyze`, orders`analyze`, products`analyze`, reviews`analyze`]);
    log(
      `seeded ${productRows.length} products, ${customerRows.length} customers, ${orderRows.length} orders (${itemRows.length} lines), ${reviewRows.size} reviews in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return {
      categoryIds: categoryRows.map((row) => row.id),
      productIds: productRows.map((row) => row.id),
      customerIds: customerRows.map((row) => row.id),
      orders: orderRows.slice(0, DATA_SET.orders).map((row) => ({ id: row.id as string, customerId: row.customer_id as string })),
      ordersByLineCount,
    };
  } finally {
    await Promise.all([accounts.end({ timeout: 5 }), orders.end({ timeout: 5 }), products.end({ timeout: 5 }), reviews.end({ timeout: 5 }), ordersDatabase.close()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('Set DATABASE_URL to a PostgreSQL server (its maintenance database); the bench databases are dropped and recreated there.');
  await seedBenchmark(serverUrl, console.log);
}
