import { sql } from 'drizzle-orm';
import { askUntilAnswered, demoShoppers, seededRandom, type Logger } from '@greencart/platform';
import type { Purchase, PurchasesClient } from '../clients/purchases-client.js';
import type { ReviewsDb } from '../db/database.js';
import { reviews } from '../db/schema.js';

/** Any fixed number: one process seeds while replicas starting at the same time wait, then find it done. */
const DEMO_REVIEWS_LOCK = 7_251_018;
const DAY_MS = 86_400_000;
/** The share of delivered purchases that get a review. */
const REVIEWED_SHARE = 0.6;

/** What demo shoppers say, by stars: a title and a body each. */
const DEMO_TEXTS: Record<number, Array<[string, string]>> = {
  5: [
    ['Will buy again', 'Exactly what I hoped for. It is on my list for every order now.'],
    ['Excellent', 'Great quality and it arrived well packed. Nothing to complain about.'],
    ['A household favourite', 'Everyone at home likes it.\nWe went through the first one in a week.'],
    ['Better than the supermarket', 'Noticeably better than what I used to buy, and the price is fair.'],
  ],
  4: [
    ['Very good', 'Good quality for the price. I would buy it again.'],
    ['Solid choice', 'Does what it should. Delivery was quick, the packaging could use less plastic.'],
    ['Happy with it', 'Nice, though I liked the one I had before a little more.'],
  ],
  3: [
    ['It is fine', 'Nothing special, nothing wrong. It does the job.'],
    ['Average', 'Decent, but I expected a bit more for the price.'],
  ],
  2: [
    ['Not for me', 'The quality was lower than the description suggests. I will try something else next time.'],
    ['Disappointing', 'One of the two I received was not in good shape.'],
  ],
  1: [['Would not buy again', 'It arrived damaged and was not what I expected at all.']],
};

export interface DemoReviewPlan {
  productId: string;
  customerId: string;
  rating: number;
  title: string;
  body: string;
  createdAt: Date;
}

/**
 * Plans the demo reviews from the demo shoppers' delivered purchases and a fixed random seed: about
 * three in five get a review a few days after delivery. Each product has a quality of its own, so
 * ratings differ from product to product, mostly 4 and 5 stars as in real shops.
 */
export function planDemoReviews(purchases: readonly Purchase[], now: Date): DemoReviewPlan[] {
  const random = seededRandom(20261207);
  const quality = new Map<string, number>();
  const qualityOf = (productId: string) => {
    if (!quality.has(productId)) quality.set(productId, random() * 1.6 - 0.6);
    return quality.get(productId)!;
  };
  const ordered = [...purchases].filter((purchase) => purchase.delivered).sort((a, b) => a.customerId.localeCompare(b.customerId) || a.productId.localeCompare(b.productId));
  const plans: DemoReviewPlan[] = [];
  for (const purchase of ordered) {
    const product = qualityOf(purchase.productId);
    if (random() >= REVIEWED_SHARE) continue;
    const draw = random() + product * 0.35;
    const rating = draw > 0.55 ? 5 : draw > 0.25 ? 4 : draw > 0.1 ? 3 : draw > 0.03 ? 2 : 1;
    const texts = DEMO_TEXTS[rating]!;
    const [title, body] = texts[Math.floor(random() * texts.length)]!;
    // A few days after the order; a review of a product also bought lately is from the last days.
    const writtenAt = Math.min(purchase.lastOrderedAt.getTime() + (3 + random() * 14) * DAY_MS, now.getTime() - (1 + random() * 5) * DAY_MS);
    plans.push({ productId: purchase.productId, customerId: purchase.customerId, rating, title, body, createdAt: new Date(writtenAt) });
  }
  return plans;
}

/**
 * Gives a fresh reviews database the demo shoppers' reviews of what they bought, so that ratings
 * show from the first start. The purchases come from orders, which seeds its demo history as it
 * starts: asked until it answers (up to `waitSeconds`). Only an empty database is seeded, once
 * however many replicas start together; no demo orders (SEED_DEMO_DATA off there, or a shop with
 * real orders) means no demo reviews.
 */
export async function seedDemoReviews(db: ReviewsDb, purchases: PurchasesClient, logger: Logger, options: { waitSeconds: number }): Promise<void> {
  if (await hasReviews(db)) return;
  const bought = await askUntilAnswered(() => purchases.purchasesOf(demoShoppers.map((shopper) => shopper.id)), options.waitSeconds * 1000);
  if (!bought) {
    logger.warn('orders did not answer: the demo reviews are left for the next start');
    return;
  }
  const plans = planDemoReviews(bought, new Date());
  if (plans.length === 0) return;
  const seeded = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${DEMO_REVIEWS_LOCK})`);
    if (await hasReviews(tx)) return false;
    await tx.insert(reviews).values(plans.map((plan) => ({ ...plan, updatedAt: plan.createdAt })));
    return true;
  });
  if (seeded) logger.info('seeded the demo reviews', { reviews: plans.length });
}

async function hasReviews(db: Pick<ReviewsDb, 'execute'>): Promise<boolean> {
  const rows = await db.execute<{ found: boolean }>(sql`select exists (select 1 from reviews) as found`);
  return rows[0]!.found;
}
