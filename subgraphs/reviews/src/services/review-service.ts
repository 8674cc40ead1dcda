import { connectionPage, decodeTimeCursor, encodeTimeCursor, isUuid, pageSize, userError, UserErrorCode, type AuthenticatedUser, type UserError } from '@greencart/platform';
import type { CatalogueClient } from '../clients/catalogue-client.js';
import type { PurchasesClient } from '../clients/purchases-client.js';
import type { Executor } from '../db/database.js';
import { ReviewRepository, type ReviewScope } from '../db/review-repository.js';
import type { ReviewRow } from '../db/schema.js';
import { validateReview, type ReviewInput } from './review-rules.js';

/** A page of reviews, with what is needed to count them all only if the client asks. */
export interface ReviewPage {
  edges: Array<{ cursor: string; node: ReviewRow }>;
  pageInfo: ReturnType<typeof connectionPage>['pageInfo'];
  scope: ReviewScope;
}

export type ReviewResult = { value: ReviewRow; userErrors: [] } | { value: null; userErrors: UserError[] };

const emptyPage = (scope: ReviewScope): ReviewPage => ({ ...connectionPage<ReviewRow>([], 0, null, () => ''), scope });

/** Reviews: reading them page by page, writing one after a purchase, deleting one. */
export class ReviewService {
  private readonly reviews: ReviewRepository;

  constructor(
    db: Executor,
    private readonly catalogue: CatalogueClient,
    private readonly purchases: PurchasesClient,
  ) {
    this.reviews = new ReviewRepository(db);
  }

  async list(scope: ReviewScope, args: { first?: number | null; after?: string | null }): Promise<ReviewPage> {
    const first = pageSize(args.first);
    const after = decodeTimeCursor(args.after);
    const id = 'productId' in scope ? scope.productId : scope.customerId;
    if (!isUuid(id)) return emptyPage(scope);
    const rows = await this.reviews.listPage(scope, after, first + 1);
    return { ...connectionPage(rows, first, args.after, (row) => encodeTimeCursor(row.createdAt, row.id)), scope };
  }

  count(scope: ReviewScope): Promise<number> {
    return this.reviews.count(scope);
  }

  /**
   * Writes the customer's review, or replaces the one they wrote of the product. In order: the
   * input's rules (INVALID_INPUT), the product (NOT_FOUND unless active), the purchase
   * (NOT_PURCHASED unless a paid, shipped or delivered order holds it); then one upsert.
   */
  async write(customer: AuthenticatedUser, input: ReviewInput): Promise<ReviewResult> {
    const { review, errors } = validateReview(input);
    if (!review) return { value: null, userErrors: errors };
    const productId = input.productId.toLowerCase();
    const notFound = () => ({ value: null, userErrors: [userError(UserErrorCode.NOT_FOUND, 'No such product.', 'input.productId')] });
    if (!isUuid(productId)) return notFound();
    const [active, bought] = await Promise.all([this.catalogue.activeProductIds([productId]), this.purchases.purchasesOf([customer.id], [productId])]);
    if (!active.has(productId)) return notFound();
    if (!bought.some((purchase) => purchase.productId === productId)) {
      return { value: null, userErrors: [userError(UserErrorCode.NOT_PURCHASED, 'Only customers who bought this product (a paid order holds it) can review it.', 'input.productId')] };
    }
    return { value: await this.reviews.upsert({ productId, customerId: customer.id, ...review }), userErrors: [] };
  }

  /** Deletes a review by its author, or any by an admin; anyone else's is NOT_FOUND, as if it did not exist. */
  async delete(user: AuthenticatedUser, id: string): Promise<ReviewResult> {
    const deleted = await this.reviews.delete(id.toLowerCase(), user.role === 'ADMIN' ? undefined : user.id);
    if (!deleted) return { value: null, userErrors: [userError(UserErrorCode.NOT_FOUND, 'No such review.', 'id')] };
    return { value: deleted, userErrors: [] };
  }
}
