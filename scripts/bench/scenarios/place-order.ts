// M1: placeOrder (5 lines, one of them from a few scarce products with stock 10) at a fixed rate
// on one target, then a check that no stock was oversold: per product, the stock taken matches
// the units held by new reservations, and in all the units of the orders placed.
import postgres from 'postgres';
import { databaseUrl } from '@greencart/platform';
import { BENCH_DATABASES, type DatabaseName } from '../common.js';
import type { BenchConfig } from '../config.js';
import { load, settle, type LoadResult } from '../harness/load.js';
import { log } from '../harness/log.js';
import { requestFor, type Fixture } from '../harness/operations.js';
import { countedStatements, resetCounts, statementsPer, type Target } from '../harness/processes.js';
import type { TargetName } from '../targets.js';

export interface PlaceOrderResult {
  target: TargetName;
  rate: number;
  seconds: number;
  load: LoadResult;
  placed: number;
  outOfStockOrOtherUserErrors: number;
  statementsPerOperation: Record<DatabaseName, number> & { total: number };
  stockCheck: { negativeStock: number; productsWhoseStockDoesNotAddUp: number; unitsTaken: number; unitsInPlacedOrders: number; oversold: boolean };
}

export async function placeOrders(target: Target, fixture: Fixture, serverUrl: string, config: BenchConfig): Promise<PlaceOrderResult> {
  const { name } = target;
  // Units held by live reservations, per product: the stock taken must match what this run adds.
  const reservedUnits = async (sql: postgres.Sql) =>
    new Map(
      (
        await sql`
        select p.id, p.stock, coalesce(sum(l.quantity) filter (where r.status = 'RESERVED'), 0)::int as reserved
        from products p left join stock_reservation_lines l on l.product_id = p.id left join stock_reservations r on r.id = l.reservation_id
        group by p.id, p.stock`
      ).map((row) => [row.id as string, { stock: row.stock as number, reserved: row.reserved as number }]),
    );
  const products = postgres(databaseUrl(serverUrl, BENCH_DATABASES.products), { max: 1, onnotice: () => {} });
  const orders = postgres(databaseUrl(serverUrl, BENCH_DATABASES.orders), { max: 1, onnotice: () => {} });
  try {
    // The scarce products: a few units each, so that concurrent orders compete for the last ones.
    await products`update products set stock = 10 where id = any(${fixture.hotProductIds}::uuid[])`;
    const before = await reservedUnits(products);
    await resetCounts(target);
    log(`${name} M1: placeOrder at ${config.placeOrderRate} req/s for ${config.placeOrderSeconds} s`);
    const result = await load(target.url, () => requestFor(name, 'M1', fixture), {
      seconds: config.placeOrderSeconds,
      connections: Math.max(config.connections, config.placeOrderRate),
      overallRate: config.placeOrderRate,
    });
    // Requests still in flight when autocannon stops finish before the stock is checked.
    await settle();
    const { statements } = await countedStatements(target);
    const after = await reservedUnits(products);
    let negativeStock = 0;
    let mismatched = 0;
    let unitsTaken = 0;
    for (const [id, now] of after) {
      const then = before.get(id)!;
      const taken = then.stock - now.stock;
      unitsTaken += taken;
      if (now.stock < 0) negativeStock++;
      if (taken !== now.reserved - then.reserved) mismatched++;
    }
    const [placed] = await orders`
      select count(distinct o.id)::int as orders, coalesce(sum(i.quantity), 0)::int as units
      from orders o join order_items i on i.order_id = o.id
      where o.idempotency_key like ${`bench-m1-${name}-%`} and o.status = 'PENDING_PAYMENT'`;
    const stockCheck = {
      negativeStock,
      productsWhoseStockDoesNotAddUp: mismatched,
      unitsTaken,
      unitsInPlacedOrders: placed!.units as number,
      oversold: negativeStock > 0 || mismatched > 0 || unitsTaken !== (placed!.units as number),
    };
    log(`${name} M1: ${placed!.orders} orders placed, ${result.graphqlErrors} GraphQL errors; stock check: ${JSON.stringify(stockCheck)}`);
    return {
      target: name,
      rate: config.placeOrderRate,
      seconds: config.placeOrderSeconds,
      load: result,
      placed: placed!.orders as number,
      outOfStockOrOtherUserErrors: result.userErrors,
      // Per placeOrder request, placed or refused (out of stock).
      statementsPerOperation: statementsPer(statements, result.sent),
      stockCheck,
    };
  } finally {
    await Promise.all([products.end({ timeout: 5 }), orders.end({ timeout: 5 })]);
  }
}
