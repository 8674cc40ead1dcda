import type DataLoader from 'dataloader';
import { badUserInput } from '@greencart/platform';
import type { CatalogueProduct } from '../clients/products-client.js';
import type { Executor } from '../db/database.js';
import { ProductPairRepository } from '../db/product-pair-repository.js';

/** The most products `boughtTogether` and `suggestions` return. */
export const MAX_BOUGHT_TOGETHER = 20;
/**
 * Partners read per product: the most a page shows and as many again, so that archived ones
 * (which orders learns of only from products) can be left out without a second statement, unless
 * more than that many of a product's top partners were archived.
 */
export const PARTNER_CANDIDATES = 2 * MAX_BOUGHT_TOGETHER;

/** Product key stubs for the gateway to resolve in products. */
export type ProductStub = { __typename: 'Product'; id: string };

/** "Bought together" for products and carts, read from the product pair counts. */
export class BoughtTogetherService {
  constructor(
    private readonly db: Executor,
    /** The per-request loaders: the top candidates of each product, and catalogue products (for their status). */
    private readonly loaders: { partnersByProductId: DataLoader<string, string[]>; catalogueProductById: DataLoader<string, CatalogueProduct | null> },
  ) {}

  /** Up to `first` products most often ordered with `productId`, archived ones left out. */
  async ofProduct(productId: string, first: number): Promise<ProductStub[]> {
    checkFirst(first);
    const candidates = await this.loaders.partnersByProductId.load(productId);
    const kept = await this.withoutArchived(candidates, first);
    if (kept.length >= first || candidates.length < PARTNER_CANDIDATES) return stubs(kept);
    const all = await new ProductPairRepository(this.db).partnersOf([productId]);
    return stubs(await this.withoutArchived(all.map((partner) => partner.otherProductId), first));
  }

  /** Up to `first` products bought with those of a cart and not in it, ranked by their summed counts. */
  async forCart(cartProductIds: readonly string[], first: number): Promise<ProductStub[]> {
    checkFirst(first);
    const pairs = new ProductPairRepository(this.db);
    const candidates = await pairs.partnersOfAll(cartProductIds, PARTNER_CANDIDATES);
    const kept = await this.withoutArchived(candidates, first);
    if (kept.length >= first || candidates.length < PARTNER_CANDIDATES) return stubs(kept);
    return stubs(await this.withoutArchived(await pairs.partnersOfAll(cartProductIds), first));
  }

  /** The first `first` of `ids` that products lists as active (one call for the whole response). */
  private async withoutArchived(ids: readonly string[], first: number): Promise<string[]> {
    const products = await this.loaders.catalogueProductById.loadMany(ids);
    return ids
      .filter((_, index) => {
        const product = products[index];
        if (product instanceof Error) throw product;
        return product?.status === 'ACTIVE';
      })
      .slice(0, first);
  }
}

function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_BOUGHT_TOGETHER) throw badUserInput(`first must be 1 to ${MAX_BOUGHT_TOGETHER}.`, 'first');
}

function stubs(ids: readonly string[]): ProductStub[] {
  return ids.map((id) => ({ __typename: 'Product', id }));
}
