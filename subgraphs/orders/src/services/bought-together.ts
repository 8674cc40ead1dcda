import type DataLoader from 'dataloader';
import { badUserInput, money, type Money } from '@greencart/platform';
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

/**
 * A product as orders returns it: its key, for the gateway to resolve the rest in products, and
 * where orders has just read them from products (boughtTogether, suggestions), the fields the
 * schema says it provides.
 */
export type ProductStub = { __typename: 'Product'; id: string; name?: string; price?: Money; inStock?: boolean };

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
    return this.firstActive(candidates, first, async () => (await new ProductPairRepository(this.db).partnersOf([productId])).map((partner) => partner.otherProductId));
  }

  /** Up to `first` products bought with those of a cart and not in it, ranked by their summed counts. */
  async forCart(cartProductIds: readonly string[], first: number): Promise<ProductStub[]> {
    checkFirst(first);
    const pairs = new ProductPairRepository(this.db);
    return this.firstActive(await pairs.partnersOfAll(cartProductIds, PARTNER_CANDIDATES), first, () => pairs.partnersOfAll(cartProductIds));
  }

  /**
   * The first `first` active products among the top candidates; only when archived ones left too
   * few, and there were more candidates than were read, among all of them (`readAll`).
   */
  private async firstActive(candidates: readonly string[], first: number, readAll: () => Promise<string[]>): Promise<ProductStub[]> {
    const kept = await this.withoutArchived(candidates, first);
    if (kept.length >= first || candidates.length < PARTNER_CANDIDATES) return kept.map(provided);
    return (await this.withoutArchived(await readAll(), first)).map(provided);
  }

  /** The first `first` of `ids` that products lists as active (one call for the whole response). */
  private async withoutArchived(ids: readonly string[], first: number): Promise<CatalogueProduct[]> {
    const products = await this.loaders.catalogueProductById.loadMany(ids);
    const active: CatalogueProduct[] = [];
    for (const product of products) {
      if (product instanceof Error) throw product;
      if (product?.status === 'ACTIVE') active.push(product);
      if (active.length === first) break;
    }
    return active;
  }
}

function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_BOUGHT_TOGETHER) throw badUserInput(`first must be 1 to ${MAX_BOUGHT_TOGETHER}.`, 'first');
}

/** The product with the fields orders provides (see schema.graphql), as products just sent them. */
function provided(product: CatalogueProduct): ProductStub {
  return { __typename: 'Product', id: product.id, name: product.name, price: money(product.priceCents), inStock: product.stock > 0 };
}
